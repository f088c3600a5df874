"""Checkpoints of other StyleGAN2 code, read into our networks as NVlabs' ``legacy.py`` keeps foreign formats
apart: rosinality's ``.pt`` (``rosinality``) and NVIDIA's ``.pkl`` (``nvidia``)."""
