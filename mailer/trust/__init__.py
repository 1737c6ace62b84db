"""Who really sent a message (SPEC §7): a verdict on the From: address, with its evidence."""
