"""SIP signalling for the `sip` driver."""
