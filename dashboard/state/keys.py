"""Every st.session_state key the dashboard uses, named once here."""

RUNS_DIR = "runs_dir"  # str: the runs directory shown in the sidebar
DATASET = "dataset"  # str: current dataset name (registry name or csv:PATH)
DATA_DIR = "data_dir"  # str | None: folder holding MovieLens files, when given
DATASET_PICK = "dataset_pick"  # str: the sidebar's dataset selectbox (a registry name or CSV_CHOICE)
CSV_PATH = "csv_path"  # str: path typed in the sidebar when the dataset is a CSV file
TRAIN_RUN_ID = "train_run_id"  # str | None: the run the Train page's live panel follows
RUNS_SELECTED = "runs_selected"  # list[str]: run ids picked on the Runs page for overlay and comparison
RUNS_METRIC = "runs_metric"  # str: metric overlaid on the Runs page
RUNS_DELETE = "runs_delete"  # str | None: run id awaiting delete confirmation on the Runs page
TRAIN_MODEL = "train_model"  # str: model chosen on the Train page
TRAIN_PARAM_PREFIX = "train_param_"  # + "<model>_<field>": a model hyper-parameter input on the Train page
TRAIN_FIELD_PREFIX = "train_field_"  # + "<model>_<field>": a trainer setting input on the Train page
TRAIN_SCROLL = "train_scroll"  # bool: scroll the live panel into view on the run after Start
TRAIN_STOP = "train_stop"  # button: stop the followed run
RUNS_DELETE_PICK = "runs_delete_pick"  # str: run chosen in the Runs page's delete box
NEIGHBORHOOD_NODE = "neighborhood_node"  # widget-key prefix of the Neighborhood page's node picker
NEIGHBORHOOD_SEED = "neighborhood_seed"  # int: sampler seed; the Resample button advances it
NEIGHBORHOOD_RUN = "neighborhood_run"  # str: run whose aggregation weights the Neighborhood page shows
EMBEDDINGS_RUN = "embeddings_run"  # str: run shown on the Embeddings page
EMBEDDINGS_COMPARE_RUN = "embeddings_compare_run"  # str: second run drawn beside it ("" for none)
EMBEDDINGS_EPOCH_PREFIX = "embeddings_epoch_"  # + run id: the epoch slider, one per run (each opens at its last)
EMBEDDINGS_SELECTED = "embeddings_selected"  # int | None: global node id picked on the map
RECOMMEND_RUN = "recommend_run"  # str: run used on the Recommend page
RECOMMEND_COLD_ITEMS = "recommend_cold_items"  # list[str]: item names chosen for the cold-start user
TRAIN_CURVES = "train_curves"  # list[str]: metrics drawn in the Train page's live panel
