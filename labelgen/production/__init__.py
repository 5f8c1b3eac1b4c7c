"""Print runs: serialised labels imposed on sheets in one print PDF."""

# A carton spec (`package:`) has no label panel to serialise: its dieline is drawn by
# `labelgen render` and stepped on a press sheet there.
CARTON_RUN_REASON = (
    "is a folding carton, and print runs print serialised labels: draw the carton's dieline "
    "with `labelgen render` (--sheet steps it on a press sheet)"
)
