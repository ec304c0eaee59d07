# Plugins shipped with dapt, each built as a third party would build it:
# a libtool module exporting only the descriptor symbol.
