"""The headless commands' work, one module per command group (no printing, no argument
parsing, no exit codes: `explorer.cli` keeps those). A function takes plain values (an
opened model, `explorer.session.opening`, where the command works with one model file;
the models or a stored model and the data where it compares, sweeps or exports) and
returns what the command shows: a result, or a generator of progress that returns one;
the functions that write files the caller named return nothing. The CLI reaches analysis
(`explorer.core.analysis`) and the networks (`models`) only through the session floor:
these modules, and the session functions that already do the job (the comparison is
`explorer.session.headless.compare_iter`).

`outputs` checks and writes output files; `apps` is inpaint, anomalies and retrieve (and
the query steps of the application commands); `traverse` the traversal, latent arithmetic
and the progression strip; `denoise` is denoise; `codes` compress and probe; `compare`
compare's bounds, settings and table; `map` the manifold of `decode --grid`; `export`
the reconstruction errors of export; `info` info; `train` train and the saving of
train-pair; `resume` the start of `train --resume`; `sweep` sweep (and the windows' sweep
dialog).
"""
