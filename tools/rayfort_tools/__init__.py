"""rayfort's toolbox: the judges of synthesized output and the pull-request review.

Tools depend on the rayfort library; the library never imports them.
"""
