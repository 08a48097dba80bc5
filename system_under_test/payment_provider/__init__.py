"""payment-provider: a stand-in for the external card processor, with fault knobs."""
