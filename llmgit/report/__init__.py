"""``llmgit report``: the registry as a self-contained static site.

An index of models, a page per model (version table with the params that vary, stage
timeline, metric charts, a compare view of any versions picked) and a page per version
(model card, provenance, weights, change from the previous version).
No CDN and no network: plain HTML with inline CSS, SVG and a small script, readable from
``file://`` and from any static server.
"""
