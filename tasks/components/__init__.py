"""The spaCy pipeline and wiredesk's registered components, apart from the batch stages.

``nlp`` loads the pipeline and runs the parse (all a worker process imports); ``entities`` and
``quotes`` are the components that read the one shared parse, with the row builders of the
shapes they fill. Importing this package imports none of them.
"""
