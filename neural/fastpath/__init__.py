"""The MoG GAN in closed form (field, losses, J u, path-angle line, training gradients), a
plug-in of ``neural.plugins``: importing this package registers it, and the core validates it
against autograd before use."""
from neural import plugins
from neural.fastpath.closed_form import FlatClosedForm
from neural.fastpath.training import MoGGradientFill


class ClosedFormProvider:
    """Offers the MoG closed form for games and for training (``neural.plugins.Provider``)."""

    def for_game(self, game) -> FlatClosedForm | None:
        return FlatClosedForm.for_game(game)

    def for_training(self, players, loss) -> MoGGradientFill | None:
        return MoGGradientFill.offer(players, loss)


PROVIDER = ClosedFormProvider()
plugins.register(PROVIDER)
