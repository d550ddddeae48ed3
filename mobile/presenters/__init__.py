"""What each screen shows, computed without Kivy from the store and `shared/`: plain dataclasses a
screen copies into its widgets, and that the headless tests check directly."""
