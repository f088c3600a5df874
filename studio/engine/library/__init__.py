"""What the painter keeps: pictures with their recipes in a gallery folder, and the published static site."""
