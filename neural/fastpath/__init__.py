"""The MoG GAN in closed form (field, losses, J u, path-angle), checked against autograd before use; autograd stays the default."""
