"""kernelgepa: GEPA as test-time search over batches of kernel tasks."""
import os

# litellm fetches its model-price map over the network at import and retries for seconds when
# offline; use the copy bundled with litellm unless the user chose otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
