from model import LitModel

# Lightning builds LitModel(**hyper_parameters): hidden=64 from the
# checkpoint, not the default 32.
model = LitModel.load_from_checkpoint("ckpt/last.ckpt")
