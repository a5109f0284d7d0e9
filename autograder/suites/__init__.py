"""Hidden suites, one module per topic: ``autograder/suites/tNN_slug.py`` defines ``suite``."""
