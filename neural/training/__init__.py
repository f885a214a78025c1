"""GAN training: config and presets, data, models, losses, optimisers, the trainer, checkpoints, metrics, distributed runs."""
