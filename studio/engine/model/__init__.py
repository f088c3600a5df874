"""StyleGAN2 itself: the networks (``stylegan2``, ``ops``) and reading/writing every checkpoint format."""
