"""The CTI engine (DESIGN.md "Telephony"): ``Engine`` owns live calls and
agents; ``runtime`` builds and runs one."""
