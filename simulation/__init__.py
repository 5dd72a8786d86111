"""iesim: an agent-based policy laboratory for industry-education integration.

The import package is ``simulation``; the distribution and command are ``iesim``.
"""

__version__ = "0.1.0"
