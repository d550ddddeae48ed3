"""Outbound channels behind one interface (`base.Transport`); `registry.transport_for` picks the
configured one per channel."""
