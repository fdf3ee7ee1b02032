"""NLP backends beyond spaCy's blank pipeline (see :mod:`trustsignals.nlp` for the interface).

Each backend module imports its NLP library only when a backend is built, so importing this
package costs nothing: ``trustsignals.backends.stanza`` holds the stanza adapter.
"""

from __future__ import annotations
