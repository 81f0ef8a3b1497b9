"""The character-level language model: the spec (:mod:`.spec`), its folder (:mod:`.folder`),
the model, evaluation and sampling (:mod:`.model`), resuming (:mod:`.resume`), the step
callbacks (:mod:`.callbacks`), one run's training (:mod:`.loop`) and grids on the engine
(:mod:`.grid`)."""
