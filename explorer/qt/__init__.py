"""The PySide6 + pyqtgraph front end: windows and widgets over latent_atlas.explorer.session.

Importing this package does nothing else: the PySide6 reference-count guard
(`refguard.pin_singletons`) is applied by the application entry point (`app.run_app`)
and the test configuration, explicitly.
"""
