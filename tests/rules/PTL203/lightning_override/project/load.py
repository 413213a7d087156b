from model import LitModel

# Lightning builds LitModel(**hyper_parameters, classes=5): the checkpoint
# was trained with hidden=64 and 3 classes.
model = LitModel.load_from_checkpoint("ckpt/last.ckpt", classes=5)
