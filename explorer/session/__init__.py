"""The session floor: everything about one opened model, with no Qt.

One `Session` per opened model holds its file, network, data, latent map, cursor,
arrows, placed image, colouring and background jobs, and tells listeners what changed
through psygnal signals. Windows (latent_atlas.explorer.qt) draw sessions; the command line and the
tests drive them directly. A `Dispatcher` given by the host decides on which thread
signals fire: the Qt windows pass one that queues onto the GUI thread, tests pass a
`ManualDispatcher` and pump it.
"""
