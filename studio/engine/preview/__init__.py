"""The live preview: ONNX export checked against torch (``export_onnx``), onnxruntime/torch backends
(``runtime``) and the latest-wins renderer (``renderer``)."""
