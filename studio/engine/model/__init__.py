"""The networks (``stylegan2``, ``stylegan3``, their ``ops`` and ``lowpass`` filters), reading/writing every
checkpoint format, and the class labels of conditional models (``labels``)."""
