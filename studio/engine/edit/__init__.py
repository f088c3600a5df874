"""Editing a picture in latent space: latents (seeds, truncation, W/W+), the portrait document, directions
(GANSpace PCA and saved sliders), style mixing, rendering seeds."""
