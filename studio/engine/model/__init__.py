"""The networks (``stylegan2``, ``stylegan3`` with its ``lowpass`` filter design, their ``ops``); ``load_model``
(``checkpoints``), the one door for every format, giving a ``LoadedModel`` (``loaded``); our format
(``safetensors_io``, with ``save_model``), the foreign ones (``foreign``: rosinality, NVIDIA StyleGAN2 and
StyleGAN3 through ``safe_pickle``) and what their readers share (``reading``); the class labels of conditional
models (``labels``)."""
