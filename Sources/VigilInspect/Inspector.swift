import VigilCore

// Placeholder so the target builds; the Inspect helper replaces this file.
