"""Export a generator to ONNX for the preview: ``mapping.onnx``, ``synthesis*.onnx``, ``model.json``.

Why ONNX: onnxruntime renders the synthesis network with about 1.4-1.6x less CPU time than torch eager (see
benchmarks/preview.py) and runs it on CUDA/TensorRT where there is a GPU, with no torch CUDA build needed. The
graphs use the non-fused modulated convolution (no per-sample weights, so nothing in them depends on the batch
size) and have a dynamic batch dimension. The noise maps are inputs rather than baked-in constants, so a
portrait that carries its own detail maps (a projection's fitted noise) renders through the same graphs; each
has the model's constant map as its default, so any ONNX tool runs the graphs on ``ws`` alone.

What is written (one folder per model):

- ``mapping.onnx``: ``z`` (N, z_dim) and ``psi`` (a scalar: truncation towards ``w_avg``, 1 = none) -> ``ws``
  (N, num_ws, w_dim), the same as ``G.mapping(z, psi)``. A class-conditional model's graph also takes ``c``
  (N, c_dim), the one-hot class labels: ``G.mapping(z, c, psi)``.
- ``synthesis.onnx``: ``ws`` (N, num_ws, w_dim) and, optionally, one noise map per layer, ``noise_b32_conv0``
  (H, W) and so on (``noise_input``), shared by the whole batch -> ``img`` (N, C, H, W), float, roughly in
  [-1, 1]; the same as ``G.synthesis(ws, noise_mode="const", noise=maps)``. Each noise input has an initializer
  of the same name holding the model's constant map (ONNX IR >= 4 makes that the input's default; onnxruntime
  lists such inputs under ``get_overridable_initializers``), so a map not fed is the model's own.
- ``synthesis_128.onnx`` and the like: the same ``ws`` and the maps of the layers up to the level's resolution
  (``level_noise_layers``) -> the RGB skip output at that absolute size (``G.synthesis(ws, max_resolution=...)``),
  which stops early and costs a fraction of a full frame: what a preview shows while a slider is being dragged.
  Written for the ``DRAG_SIZES`` below the model's size down to ``DRAG_FLOOR`` and at least its ``DRAG_LEVELS``
  largest (256, 128, 64 and 32 px for a 1024 px model, 32, 16 and 8 px for a 64 px one; none below
  ``MIN_LEVEL_RESOLUTION``, 8 px: a 4 px image is only the learned constant).
- ``model.json``: the source model's weights hash and architecture, shapes, names, opset, files and the parity
  figures measured at export time.

A StyleGAN3 model (T or R) writes ``mapping.onnx`` and ``synthesis.onnx`` only: it has no early exit (a smaller
picture would cost a full frame), so "full" is its one level, and no noise. Its synthesis graph takes ``ws`` and
``transform`` (3, 3), the Fourier input's user transform as ``stylegan3.input_transform`` makes it (the inverse
of the picture's motion), whose default is the network's own (the identity unless the snapshot set one): the
preview translates and rotates the picture live, with no new export. The filtered leaky ReLUs are what torch
writes for our plain ops: zero insertion as Reshape and Pad, the low-pass filters as the constant weights of
depthwise Convs (strided to down-sample), LeakyRelu and Clip.

Every graph is checked against torch at export time (``parity``: batch 1 first, fed ``ws`` alone and fed other
values for all its other inputs: random maps, a StyleGAN3 turn and shift; relative error = max|ort - torch| /
max|torch| must be at most ``PARITY_TOLERANCE``).
The export is built in a temporary folder beside the target and moved into place only once it has passed,
``model.json`` last, so a folder holding ``model.json`` is complete and checked. The preview cache keeps the
``CACHE_KEEP`` most recently used models' exports and sweeps the temporary folders of killed exports.

Modules: ``format`` (what a folder holds, the graphs' names and levels, the version; ``ExportInfo`` reads it),
``writer`` (``export_onnx``), ``parity`` (the check against torch), ``cache`` (``cached_export``).
"""
