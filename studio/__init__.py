"""GAN Studio: generate and edit paintings with StyleGAN2."""

__version__ = "0.1.0"
