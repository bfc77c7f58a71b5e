"""The headless commands' work, one module per command group (no printing, no argument
parsing, no exit codes: `explorer.cli` keeps those). Each function takes plain values and
an opened model (`explorer.session.opening`) and returns what the command shows: a result,
a generator of progress that returns one, or the files it wrote. The CLI reaches analysis
(`explorer.core.analysis`) and the networks (`models`) only through these modules.

`outputs` checks and writes output files; `apps` is inpaint, anomalies and retrieve;
`traverse` the traversal, latent arithmetic and the progression strip; `denoise`, `codes`
(compress, probe), `compare` (compare, train-pair), `map` (project, decode, interpolate),
`export`, `train` (train, info, --resume) and `sweep` the others.
"""
