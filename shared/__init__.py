"""CareLoop's clinical domain, shared by the server and the phone.

Pure Python and standard library only: it never imports Django, DRF, Celery or Kivy, never reads
the clock and never touches the network, so the phone grades exactly as the server does.
Every threshold here is data that names its source.
"""
