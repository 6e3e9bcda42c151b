"""The demo: the figures table of BRIEF.md as movements (`movements`) and drives (`drives`),
data files loaded by `pacesetter demo` through the commands a person runs. It sits above every app of the product
and nothing in the product imports it."""
