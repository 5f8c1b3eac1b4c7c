"""Print runs: serialised labels imposed on sheets in one print PDF."""
