"""kiln_fuzz: a random Kiln program generator and differential test harness (utils/kiln-fuzz, make fuzz)."""
