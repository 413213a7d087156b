import lightning.pytorch as pl

from model import LitModel

# Resuming: the Trainer restores ckpt["state_dict"] into the model built
# here, with the default hidden=32; the checkpoint was trained with 64.
model = LitModel()
trainer = pl.Trainer(max_epochs=10)
trainer.fit(model, ckpt_path="ckpt/last.ckpt")
