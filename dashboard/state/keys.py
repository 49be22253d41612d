"""Every st.session_state key the dashboard uses, named once here."""

RUNS_DIR = "runs_dir"  # str: the runs directory shown in the sidebar
DATASET = "dataset"  # str: current dataset name (registry name or csv:PATH)
DATA_DIR = "data_dir"  # str | None: folder holding MovieLens files, when given
DATASET_PICK = "dataset_pick"  # str: the sidebar's dataset selectbox (a registry name or CSV_CHOICE)
CSV_PATH = "csv_path"  # str: path typed in the sidebar when the dataset is a CSV file
LINK_NOTICE = "link_notice"  # container: the sidebar's notice of paths a link asks to use
LINK_USE = "link_use"  # button: use the paths the link names
LINK_KEEP = "link_keep"  # button: keep the paths in use, and put them back in the URL
DATA_ITEM_FILTER = "data_item_filter"  # str: the Data page's item filter
DATA_FILTER_DATASET = "data_filter_dataset"  # [name, data_dir]: the dataset that filter was typed for
TRAIN_RUN_ID = "train_run_id"  # str | None: the run the Train page's live panel follows
RUNS_SELECTED = "runs_selected"  # list[str]: run ids picked on the Runs page for overlay and comparison
RUNS_METRIC = "runs_metric"  # str: metric overlaid on the Runs page
RUNS_DELETE = "runs_delete"  # str | None: run id awaiting delete confirmation on the Runs page
TRAIN_MODEL = "train_model"  # str: model chosen on the Train page
TRAIN_CUSTOM_MODEL = "train_custom_model"  # str: package.module:ClassName typed on the Train page (replaces the choice)
TRAIN_PARAM_PREFIX = "train_param_"  # + "<model>_<field>": a model hyper-parameter input on the Train page
TRAIN_FIELD_PREFIX = "train_field_"  # + "<model>_<field>": a trainer setting input on the Train page
TRAIN_SCROLL = "train_scroll"  # bool: scroll the live panel into view on the run after Start
TRAIN_STOP = "train_stop"  # button: stop the followed run
TRAIN_START = "train_start"  # form submit button: start a run (read before the panel is drawn, to clear it)
TRAIN_RESUME = "train_resume"  # button: resume the followed run (stopped, interrupted or failed)
TRAIN_NOTICE = "train_notice"  # (run id, text): what Start, Stop or Resume did, shown once in that run's panel
RUNS_DELETE_PICK = "runs_delete_pick"  # str: run chosen in the Runs page's delete box
RUNS_EXPERIMENT = "runs_experiment"  # str: experiment whose comparison the Runs page shows
RUNS_EXPERIMENT_IN_URL = "runs_experiment_in_url"  # str: the ?experiment= the Runs page last wrote
RUNS_BASELINE = "runs_baseline"  # str: baseline model of that comparison
RUNS_FILTER_PREFIX = "runs_filter_"  # + "<field>": the Runs page's filter of dataset, model, state or tag (list[str])
RUNS_SEARCH = "runs_search"  # str: text the Runs page's runs must hold in their id, tags or note
RUNS_LABEL_PICK = "runs_label_pick"  # str: run whose tags and note the Runs page's form edits
RUNS_LABEL_TAGS = "runs_label_tags_"  # + "<run id>": that form's comma-separated tags
RUNS_LABEL_NOTE = "runs_label_note_"  # + "<run id>": that form's note
RUNS_COLUMNS = "runs_columns"  # list[str]: config fields and test metrics added to the runs table (URL ?columns=)
RUNS_DIFF = "runs_diff"  # list[str]: the two runs whose configs the Runs page compares
NEIGHBORHOOD_NODE = "neighborhood_node"  # widget-key prefix of the Neighborhood page's node picker
NEIGHBORHOOD_SEED = "neighborhood_seed"  # int: sampler seed; the Resample button advances it
NEIGHBORHOOD_GRAPH = "neighborhood_graph"  # str: sample a run's training graph or the whole dataset
NEIGHBORHOOD_RUN = "neighborhood_run"  # str: run whose training graph the Neighborhood page samples
NEIGHBORHOOD_SETTINGS_OF = "neighborhood_settings_of"  # str | None: run whose settings the sampler inputs started at
NEIGHBORHOOD_REPLAY_EPOCH = "neighborhood_replay_epoch"  # int: epoch replayed on the Neighborhood page
NEIGHBORHOOD_REPLAY_BATCH = "neighborhood_replay_batch"  # int: batch of that epoch drawn
NEIGHBORHOOD_WEIGHTS_RUN = "neighborhood_weights_run"  # str: run whose aggregation weights the page shows
EMBEDDINGS_RUN = "embeddings_run"  # str: run shown on the Embeddings page
EMBEDDINGS_COMPARE_RUN = "embeddings_compare_run"  # str: second run drawn beside it ("" for none)
EMBEDDINGS_EPOCH_PREFIX = "embeddings_epoch_"  # + run id: the epoch slider, one per run (each opens at its last)
EMBEDDINGS_SESSION = "embeddings_session"  # str: this browser session's id in the UMAP queue (its requests)
EMBEDDINGS_SELECTED = "embeddings_selected"  # int | None: global node id picked on the map
RECOMMEND_RUN = "recommend_run"  # str: run used on the Recommend page
RECOMMEND_COLD_ITEMS = "recommend_cold_items"  # list[str]: item names chosen for the cold-start user
TRAIN_CURVES = "train_curves"  # list[str]: metrics drawn in the Train page's live panel
TRAIN_EXPERIMENT = "train_experiment"  # str | None: experiment this session started whose progress the Train page shows
EXPERIMENT_NAME = "experiment_name"  # str: the Train page's experiment form: name
EXPERIMENT_MODELS = "experiment_models"  # list[str]: ... models compared
EXPERIMENT_SEEDS = "experiment_seeds"  # str: ... comma-separated seeds
EXPERIMENT_EPOCHS = "experiment_epochs"  # int | None: ... every run's epochs (None: each model's own)
EXPERIMENT_GRID = "experiment_grid"  # str: ... grid, one MODEL.PARAM=V1,V2 a line
