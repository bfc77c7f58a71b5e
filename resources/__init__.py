"""What the application reads at run time besides its code: the bundled models in models/
(read with importlib.resources, so an installed wheel finds them too)."""
