"""The demo: the figures table of BRIEF.md as movements (`movements`) and drives (`drives`),
loaded through the real actions by `pacesetter demo`. It sits above every app of the product
and nothing in the product imports it."""
