"""The DPO's documents generated from the enforced policy: the Art. 30 record
(`lawful ropa`), the Art. 13/14 notice (`lawful notice`) and the data map
(`lawful map`). `model` is the data, `build` fills it, the renderers read it."""
