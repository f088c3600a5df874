"""StyleGAN2 itself: the networks (``stylegan2``, ``ops``), reading/writing every checkpoint format, and the
class labels of conditional models (``labels``)."""
