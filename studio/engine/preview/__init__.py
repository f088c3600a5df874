"""The live preview: the ONNX export checked against torch and cached per model (``export``), onnxruntime/torch
backends (``runtime``) and the latest-wins renderer (``renderer``)."""
