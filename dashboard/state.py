"""Every st.session_state key the dashboard uses, named once here."""

RUNS_DIR = "runs_dir"  # str: the runs directory shown in the sidebar
DATASET = "dataset"  # str: current dataset name (registry name or csv:PATH)
DATA_DIR = "data_dir"  # str | None: folder holding MovieLens files, when given
