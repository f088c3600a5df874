"""From pictures back to latents: PULSE-style W+ colour search (``pulse``, ``pulse_fit``) and projection of
a real painting into W+ (``projection``)."""
