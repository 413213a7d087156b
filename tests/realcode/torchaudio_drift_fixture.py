"""The pristine project of tests/torchaudio_drift_test.cc, made with real torch.

usage: /usr/bin/python3 torchaudio_drift_fixture.py OUT_DIR

Writes OUT_DIR/pristine/, a small project around torchaudio 0.13's own
wav2vec2 source (Debian python3-torchaudio), copied unchanged into the package
`audiomodels.wav2vec2`:

  ptlint.toml                        torch-version = "1.13" (the torch that saved the files)
  src/audiomodels/wav2vec2/...       torchaudio/models/wav2vec2/{__init__,components,model}.py, utils/
  src/asr/model.py                   SpeechRecognizer: self.model = wav2vec2_model(<literal args>)
  src/load.py                        SpeechRecognizer().load_state_dict(torch.load("ckpt/w2v.pt"))
  src/load_full.py                   torch.load("ckpt/w2v_full.pt"), a whole pickled model
  ckpt/w2v.pt                        state_dict() of the same SpeechRecognizer built on torchaudio's
                                     real wav2vec2_model (random init)
  ckpt/w2v_full.pt                   torch.save(model) of the project's SpeechRecognizer (its globals
                                     name asr.model and audiomodels.wav2vec2.*)

and OUT_DIR/variants/ with the state dict saved under wrapper prefixes:
  w2v_module.pt (nn.DataParallel(model).state_dict(): `module.`), w2v_orig_mod.pt (`_orig_mod.`, torch.compile).

Also OUT_DIR/factory/, the same model built at module level
(`model = wav2vec2_model(...)`; `model.load_state_dict(...)`) with its checkpoint.
The C++ test copies pristine/, injects one drift per copy and runs ptlint.
"""
import os
import shutil
import sys

import torch
import torchaudio

# Literal arguments: load.py is written from this dict, so that the source's
# constructor call and the checkpoint agree.
KWARGS = {
    "extractor_mode": "group_norm",
    "extractor_conv_layer_config": [(16, 10, 5), (16, 3, 2), (16, 2, 2)],
    "extractor_conv_bias": False,
    "encoder_embed_dim": 32,
    "encoder_projection_dropout": 0.1,
    "encoder_pos_conv_kernel": 16,
    "encoder_pos_conv_groups": 4,
    "encoder_num_layers": 2,
    "encoder_num_heads": 2,
    "encoder_attention_dropout": 0.1,
    "encoder_ff_interm_features": 64,
    "encoder_ff_interm_dropout": 0.1,
    "encoder_dropout": 0.1,
    "encoder_layer_norm_first": False,
    "encoder_layer_drop": 0.05,
    "aux_num_out": 10,
}


def main(out):
    pristine = os.path.join(out, "pristine")
    variants = os.path.join(out, "variants")
    shutil.rmtree(out, ignore_errors=True)
    src = os.path.join(pristine, "src")
    pkg = os.path.join(src, "audiomodels")
    os.makedirs(pkg)
    os.makedirs(os.path.join(pristine, "ckpt"))
    os.makedirs(variants)
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write('"""torchaudio 0.13 models, vendored."""\n')
    w2v = os.path.join(os.path.dirname(torchaudio.__file__), "models", "wav2vec2")
    shutil.copytree(w2v, os.path.join(pkg, "wav2vec2"), ignore=shutil.ignore_patterns("__pycache__"))
    with open(os.path.join(pristine, "ptlint.toml"), "w") as f:
        f.write('torch-version = "1.13"\n')

    args = "".join(f"            {k}={v!r},\n" for k, v in KWARGS.items())
    os.makedirs(os.path.join(src, "asr"))
    with open(os.path.join(src, "asr", "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(src, "asr", "model.py"), "w") as f:
        f.write(
            "import torch\n\n"
            "from audiomodels.wav2vec2.model import wav2vec2_model\n\n\n"
            "class SpeechRecognizer(torch.nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            f"        self.model = wav2vec2_model(\n{args}        )\n\n"
            "    def forward(self, waveforms):\n"
            "        return self.model(waveforms)\n"
        )
    with open(os.path.join(src, "load.py"), "w") as f:
        f.write(
            "import torch\n\n"
            "from asr.model import SpeechRecognizer\n\n"
            "model = SpeechRecognizer()\n"
            'model.load_state_dict(torch.load("ckpt/w2v.pt"))\n'
            "model.eval()\n"
        )
    with open(os.path.join(src, "load_full.py"), "w") as f:
        f.write(
            "import torch\n\n"
            'model = torch.load("ckpt/w2v_full.pt")\n'
            "model.eval()\n"
        )

    class SpeechRecognizer(torch.nn.Module):  # the same model on torchaudio itself
        def __init__(self):
            super().__init__()
            self.model = torchaudio.models.wav2vec2_model(**KWARGS)

    torch.manual_seed(0)
    model = SpeechRecognizer()
    state = model.state_dict()
    torch.save(state, os.path.join(pristine, "ckpt", "w2v.pt"))
    torch.save(torch.nn.DataParallel(model).state_dict(), os.path.join(variants, "w2v_module.pt"))
    torch.save({"_orig_mod." + k: v for k, v in state.items()}, os.path.join(variants, "w2v_orig_mod.pt"))

    # The whole model, pickled from the project's own copy of the source so
    # that its globals name asr.model and audiomodels.wav2vec2.*.
    sys.path.insert(0, src)
    from asr.model import SpeechRecognizer as ProjectSpeechRecognizer

    full = ProjectSpeechRecognizer()
    full.load_state_dict(state)
    torch.save(full, os.path.join(pristine, "ckpt", "w2v_full.pt"))
    for name in [m for m in sys.modules if m.split(".")[0] in ("asr", "audiomodels")]:
        del sys.modules[name]
    torch.load(os.path.join(pristine, "ckpt", "w2v_full.pt"))  # loads with the pristine source

    # The factory at module level, as torchaudio's docs use it.
    factory = os.path.join(out, "factory")
    shutil.copytree(os.path.join(pristine, "src", "audiomodels"), os.path.join(factory, "src", "audiomodels"))
    shutil.copy(os.path.join(pristine, "ptlint.toml"), factory)
    os.makedirs(os.path.join(factory, "ckpt"))
    flat = "".join(f"    {k}={v!r},\n" for k, v in KWARGS.items())
    with open(os.path.join(factory, "src", "load.py"), "w") as f:
        f.write(
            "import torch\n\n"
            "from audiomodels.wav2vec2.model import wav2vec2_model\n\n"
            f"model = wav2vec2_model(\n{flat})\n"
            'model.load_state_dict(torch.load("ckpt/w2v.pt"))\n'
        )
    torch.save(model.model.state_dict(), os.path.join(factory, "ckpt", "w2v.pt"))


if __name__ == "__main__":
    main(sys.argv[1])
