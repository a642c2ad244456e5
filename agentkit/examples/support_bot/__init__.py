"""The Dashly support-bot example: a food-delivery company with eight weeks of generated data,
a help center and recorded support conversations (see ``README.md`` beside this file).

    python -m agentkit.examples.support_bot.build [TARGET]     # generate, apply, ingest, materialize
    python -m agentkit.examples.support_bot.generate [--out DIR] [--seed N]
    python -m agentkit.examples.support_bot.make_transcripts [--out FILE]

``agentkit demo`` builds it into a working folder with :func:`~agentkit.examples.support_bot.build.build_example`.
Importing this package imports nothing else; ``features.py`` is the example's definitions file,
copied into the built project and loaded from there by the definitions loader.
"""
