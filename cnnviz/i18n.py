"""Translation tables (English and Simplified Chinese) and a lookup function.

Pure data: no streamlit here (``ui/i18n.py`` picks the language from the session).
Every user-visible text of the pages lives in :data:`TEXTS`; a test checks that both
languages have the same keys with the same ``{placeholders}``.  Texts are
``str.format`` templates, so literal braces must be doubled.

Kernel presets, padding modes, display scalings and pooling kinds exist here only (the
library names them by key).  The English texts of other library data (model descriptions, ...)
are copies of the strings in those modules; a test checks that the copies match.
"""

from __future__ import annotations

LANGS = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "中文"}
DEFAULT_LANG = "en"

EN: dict[str, str] = {
    # ------------------------------------------------------------------ app, sidebar
    "app.page_title": "cnnviz: see inside a CNN",
    "nav.home": "How a CNN works",
    "nav.kernels": "Kernels",
    "nav.pooling": "Pooling",
    "nav.training": "Training",
    "nav.feature_maps": "Feature maps",
    "sidebar.language": "Language / 语言",
    "sidebar.lecture": "Lecture mode",
    "sidebar.lecture_help": "Large type, high contrast, bigger figures and fewer controls: readable when "
                            "projected in a lecture hall.",
    # ------------------------------------------------------------------ shared widgets (ui/)
    "common.loading_digits": "Loading the embedded MNIST digits…",
    "img.source": "Image source",
    "img.source_sample": "Sample photo",
    "img.source_upload": "Upload an image",
    "img.sample": "Sample",
    "img.upload_label": "PNG, JPEG, GIF (first frame), BMP or WEBP",
    "img.upload_help": "At most {mb} MB and {mp:.0f} megapixels. Large images are computed at full size and "
                       "only shown smaller.",
    "img.upload_prompt": "Upload an image, or switch back to a sample photo.",
    "img.upload_error": "This file cannot be used: {error}",
    "img.describe": "{w}×{h} pixels (width × height), {kind}",
    "img.kind_rgb": "colour (RGB)",
    "img.kind_gray": "grayscale",
    "img_note.16bit": "16-bit grayscale scaled from 0–65535 to 0–255 (not clipped)",
    "img_note.scaled": "{kind} image scaled from {lo}–{hi} to 0–255",
    "img_note.int32": "32-bit integer",
    "img_note.float": "floating-point",
    "img_note.transparent": "transparent pixels shown on white",
    "img_note.cmyk": "CMYK converted to RGB",
    "img_note.frames": "first frame of {n} used",
    "img_note.exif": "EXIF orientation {n} applied (the photo is shown upright)",
    "img_note.gray": "stored as colour but gray: treated as grayscale",
    "sample.chelsea": "Chelsea the cat",
    "sample.camera": "Cameraman (grayscale)",
    "sample.coins": "Coins (grayscale)",
    "sample.astronaut": "Astronaut (Eileen Collins)",
    "color.label": "Colour",
    "color.gray": "Grayscale",
    "color.rgb": "RGB, each channel separately (a Conv2d would mix them)",
    "fig.loss_title": "Training loss",
    "fig.acc_title": "Accuracy",
    "fig.cm_title": "Confusion matrix",
    "fig.per_class_title": "Accuracy per class",
    "fig.step": "step",
    "fig.loss": "cross-entropy loss",
    "fig.accuracy": "accuracy",
    "fig.true_class": "true class",
    "fig.predicted_class": "predicted class",
    "fig.cmp_loss_title": "Training loss (smoothed)",
    "fig.cmp_acc_title": "Test accuracy",
    "fig.cmp_loss": "loss",
    "fig.fraction": "fraction of training",
    "fig.raw": "raw",
    "fig.smoothed": "smoothed",
    "fig.train_running": "train (running, this epoch)",
    "fig.train": "train",
    "fig.test": "test",
    # ------------------------------------------------------------------ home
    "home.title": "🧠 cnnviz: see inside a convolutional neural network",
    "home.intro": "Draw a digit and watch every layer react, train real PyTorch networks on real MNIST digits, "
                  "and try convolution kernels and pooling on your own images. Pick a page in the sidebar.",
    "home.pipeline": "The pipeline",
    "home.pipeline_dot": """
    digraph {{
      rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#eef3fc", fontname="Noto Sans CJK SC, Helvetica", fontsize={size}];
      edge [fontname="Noto Sans CJK SC, Helvetica", fontsize={size}];
      input [label="Input\\n1×28×28"]; conv [label="Convolution\\nsliding weighted sums"];
      relu [label="ReLU\\nmax(0, x)"]; pool [label="Pooling\\nmax / average"];
      flat [label="Flatten\\nmaps → vector"]; fc [label="Fully connected\\nW·x + b"];
      soft [label="Softmax\\n10 probabilities"];
      input -> conv -> relu -> pool -> flat -> fc -> soft;
      pool -> conv [label=" repeat", style=dashed];
    }}
    """,
    "home.conv": "**Convolution.** A small grid of weights, the *kernel*, slides over the image. At each position "
                 "it multiplies the pixels under it by its weights and adds them up: one number of the output "
                 "*feature map*. Each kernel detects one pattern (an edge, a curve) wherever it appears. A layer "
                 "with several input channels (the maps of the layer before) has one kernel slice per channel: "
                 "it adds up the C_in results and a bias *b*, out = Σ_c x_c ⋆ k_c + b (conv 5×5, 6→16: "
                 "16 kernels of 6×5×5).",
    "home.relu_pool": "**ReLU and pooling.** ReLU, the activation function, keeps positive responses and sets "
                      "negative ones to zero: `ReLU(x) = max(0, x)`. Without it, stacked convolutions would be one "
                      "linear map. Pooling summarizes each small window by its maximum or average, "
                      "halving the size with a 2×2 window and stride 2, so later layers see a wider area.",
    "home.fc_softmax": "**Flatten, fully connected, softmax.** The last maps are flattened into one vector; fully "
                       "connected layers combine all of it into 10 scores (*logits*) z, and softmax, "
                       "p_i = e^(z_i) / Σ_j e^(z_j), turns them into probabilities that sum to 1. Training lowers the *cross-entropy* loss, −log p(true class).",
    "home.optimizers": "**Optimizers.** Training repeats: predict a batch, measure the loss, compute its gradient *g* "
                       "by backpropagation and step the weights *w* downhill with the learning rate η. **SGD with "
                       "momentum** (μ = 0.9 here): v ← μ·v + g, then w ← w − η·v, so each step keeps part of the "
                       "previous one. **Adam** (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸): running averages m ← β₁·m + (1 − "
                       "β₁)·g and v ← β₂·v + (1 − β₂)·g², bias-corrected to m̂ and v̂, then w ← w − η·m̂ / (√v̂ + ε): "
                       "the averaged gradient divided by the root of the averaged squared gradient. **RMSprop** (α = "
                       "0.99, ε = 10⁻⁸): s ← α·s + (1 − α)·g², then w ← w − η·g / (√s + ε): each step's gradient "
                       "divided by a running root mean square of recent gradients.",
    "home.formula_header": "The output-size formula",
    "home.formula_text": "*W* is the input width, *F* the kernel (filter) size, *P* the padding **on each "
                         "side** (hence 2P) and *S* the stride; ⌊ ⌋ rounds down when *S* does not divide. Here "
                         "is every layer of **LeNet-5**, its shapes from running a real 1×28×28 input through "
                         "the model, with the rule for each kind of layer, its receptive field on the input and "
                         "its parameter count:",
    "home.col_layer": "layer",
    "home.col_type": "type",
    "home.col_input": "input",
    "home.col_output": "output",
    "home.col_formula": "output size",
    "home.size_unchanged": "size unchanged",
    "home.data_header": "Data and shipped models",
    "home.data_text": "Out of the box cnnviz uses **{total:,} real MNIST digits** embedded in the app ({train:,} for "
                      "training, {test:,} for testing), so it works offline. Full MNIST and Fashion-MNIST are used "
                      "when they are available.",
    "home.col_model": "model",
    "home.col_architecture": "architecture",
    "home.col_test_accuracy": "test accuracy",
    "home.col_note": "note",
    "home.col_epochs": "epochs",
    "home.col_seed": "source tutorial",
    "home.no_checkpoints": "No checkpoints found in checkpoints/. Train one with "
                           "`python -m cnnviz.train --arch lenet5`.",
    # ------------------------------------------------------------------ pooling
    "pool.title": "🧊 Pooling",
    "pool.intro": "Pooling slides a window over each feature map and keeps one number per window: the **maximum** "
                  "(max pooling: *is the pattern somewhere here?*) or the **mean** (average pooling). It has no "
                  "weights to learn. With a 2×2 window and stride 2 it halves the width and height, so the next "
                  "layers see a wider area for the same cost, and small shifts of the input matter less.",
    "pool.image": "1 · Image",
    "pool.settings": "2 · Settings",
    "pool.kind": "Pooling",
    "pool_kind.max": "Max pooling",
    "pool_kind.avg": "Average pooling",
    "pool.window": "Window",
    "pool.window_help": "The window is k×k pixels.",
    "pool.stride": "Stride",
    "pool.stride_help": "How far the window moves at each step (usually = the window).",
    "pool.padding": "Padding",
    "pool.padding_help": "At most half the window. Max pooling pads with −∞ (never wins); average pooling pads "
                         "with 0 (counted in the mean, PyTorch's default).",
    "pool.ceil": "ceil_mode (keep a last, partial window)",
    "pool.ceil_help": "Rounds the output size up instead of down: windows that run past the edge are kept if "
                      "they start inside the image.",
    "pool.error": "These settings do not work: {error}",
    "pool.sizes": "Size before and after",
    "pool.before": "Before (width × height)",
    "pool.after": "After (width × height)",
    "pool.after_help": "{pixels:,} pixels, {share:.1%} of the {before:,} before",
    "pool.formula_line": "width: `{width}` · height: `{height}`",
    "pool.fig_before": "Before: {w}×{h}",
    "pool.fig_after": "After {kind}: {w}×{h}",
    "pool.same_size": "Both are drawn at the same size on screen: the pooled image has fewer, bigger pixels. "
                      "Zoom in (drag a box) to compare.",
    "pool.pyramid": "A pyramid: the same pooling again and again",
    "pool.level_input": "input: {w}×{h}",
    "pool.level_n": "{i}× pooled: {w}×{h}",
    "pool.no_second": "The window does not fit a second time.",
    "pool.example": "✍️ Worked example on a small grid",
    "pool.example_caption": "Each window and the output cell it produces share a colour. For max pooling the "
                            "winner of each window is circled; for average pooling the output is the window's mean.",
    "pool.grid_size": "Grid size",
    "pool.grid_seed": "Numbers (seed)",
    "pool.example_error": "The worked example cannot use these settings: {error}",
    "pool.step": "Step through the windows (0 = all at once)",
    "pool.example_size": "Output size: width `{fw}`, height `{fh}` → **{w}×{h}**",
    "pool.win_max": "Window {n} → output (row {row}, column {col}): max({vals}{pad}) = **{value:g}**, at grid "
                    "row {wr}, column {wc}.",
    "pool.win_max_pad": ", −∞ padding",
    "pool.win_avg": "Window {n} → output (row {row}, column {col}): ({vals}{zeros}) / {count} = **{value:.4g}**",
    "pool.win_avg_pad": " ({pads} padding zeros counted)",
    "pool.ex_input": "input {h}×{w}",
    "pool.ex_input_pad": "input {h}×{w} + padding {p}",
    "pool.ex_output": "output {h}×{w}",
    # ------------------------------------------------------------------ kernels
    "kern.title": "🔍 Convolution kernels",
    "kern.intro": "A **kernel** is a small grid of weights. It slides over the image; at each position the pixels "
                  "under it are multiplied by its weights and added up, giving one pixel of the output (a *feature "
                  "map*). This is what one input channel of a CNN's `Conv2d` layer computes (with "
                  "`torch.nn.functional.conv2d` here too); a layer adds up the results of its `C_in` input channels, "
                  "each with its own kernel, and a bias: `out = Σ_c x_c ⋆ k_c + b` (try the colour mode *Conv2d with "
                  "3 input channels*). The network learns its weights instead of having them chosen by hand. "
                  "Strictly, a CNN's \"convolution\" is cross-correlation: the kernel is not flipped. That makes no "
                  "difference for learned kernels, but it decides the direction of hand-made ones (Sobel, emboss).",
    "kern.image": "1 · Image",
    "kern.kernel": "2 · Kernel",
    "kern.settings": "3 · Settings",
    "kern.preset": "Preset",
    "kern.custom": "✏️ Custom (edit the weights)",
    "kern.size": "Size",
    "kern.start_from": "Start from",
    "kern.normalise": "Normalise (divide by the sum of the weights)",
    "kern.normalise_help": "Keeps a flat area's brightness. Edge kernels sum to 0; they are divided by the sum "
                           "of their positive weights instead.",
    "kern.normalised": "Normalised: {how}.",
    "norm.sum": "divided by the sum of the weights ({total:g})",
    "norm.zero": "all weights are 0: nothing to normalise",
    "norm.edge": "the weights sum to 0 (an edge detector), so it was divided by the sum of its positive "
                 "weights ({positive:g}) instead",
    "kern.custom_desc": "Your own kernel. Positive weights add the pixels under them, negative ones subtract.",
    "kern.bad_kernel": "This kernel cannot be used: {error}",
    "kern.fig_kernel": "kernel",
    "kern.fig_kernel_n": "kernel {name}",
    "kern.sum": "Sum of the weights: {total:.4g}",
    "kern.sum_kept": " (brightness kept)",
    "kern.sum_zero": " (flat areas become 0)",
    "kern.stride": "Stride",
    "kern.stride_help": "How many pixels the kernel moves at each step.",
    "kern.dilation": "Dilation",
    "kern.dilation_help": "Gaps between the kernel's taps: a 3×3 kernel with dilation 2 spans 5×5.",
    "kern.padding": "Padding",
    "kern.padding_help": "Extra pixels added around the image before the kernel slides.",
    "kern.padding_mode": "Padding mode",
    "kern.padding_mode_caption": "**{mode}**: {text}.",
    "kern.show_as": "Show the output as",
    "kern.lecture_note": "Lecture mode: dilation 1 and zero padding (switch lecture mode off in the sidebar for "
                         "dilation and padding modes).",
    "kern.conv_error": "These settings do not work: {error}",
    "kern.output_size": "Output size",
    "kern.input_wh": "Input (width × height)",
    "kern.output_wh": "Output (width × height)",
    "kern.formula_line": "width: `{width}` · height: `{height}`",
    "kern.inspector": "🔬 Pixel inspector",
    "kern.inspector_caption": "Click a pixel in either picture above, or pick an output pixel with the sliders: its "
                              "input window (outlined in red on the input), the kernel, the element-wise products "
                              "and their sum. The sum is the output pixel.",
    "kern.out_row": "Output row",
    "kern.out_col": "Output column",
    "kern.single_row": "{label}: 0 (the output has a single row)",
    "kern.single_col": "{label}: 0 (the output has a single column)",
    "kern.channel": "Channel",
    "kern.fig_input": "Input {w}×{h}",
    "kern.fig_input_gray": "Input {w}×{h} (grayscale)",
    "kern.shown_smaller": "Shown {factor:.1f}× smaller; computed at full size.",
    "kern.fig_output": "Output {w}×{h} · {scaling}",
    "kern.legend_smaller": "; shown {factor:.1f}× smaller",
    "kern.gx": "gx (kernel x)",
    "kern.gy": "gy (kernel y)",
    "kern.insp_window": "input window (0–255)",
    "kern.insp_weights": "kernel weights",
    "kern.insp_products": "products (sum = {total:.6g})",
    "kern.magnitude_line": "gx = **{gx:.6g}**, gy = **{gy:.6g}**, √(gx² + gy²) = **{value:.6g}**",
    "kern.sum_line": "Σ (non-zero weights) = {terms}{more} = **{value:.6g}**",
    "kern.more_terms": " + … ({n} more)",
    "kern.where": "output pixel (row {row}, column {col})",
    "kern.where_channel": "output pixel (row {row}, column {col}, {channel} channel)",
    "kern.exact": "conv2d's {where} = **{value:.6g}**: exactly the sum.",
    "kern.rounding": "conv2d's {where} = **{value:.6g}**; the exact sum is {exact:.8g}. The tiny difference "
                     "({diff:.1e}) is float32 rounding inside conv2d.",
    "kern.padding_marked": "Values marked ᵖ come from the **{mode}** padding, not from the image.",
    "kern.learned": "🧠 Learned kernels: what a trained CNN's first layer does to this image",
    "kern.learned_caption": "A CNN's first convolution layer learns its own kernels from MNIST digits. Here they "
                            "are, applied to your image exactly as the network applies them (its weights and "
                            "bias, the image in grayscale normalised like the digits). Many look like the edge "
                            "detectors above.",
    "kern.checkpoint": "Checkpoint",
    "kern.ckpt_upload_option": "Upload a .safetensors checkpoint…",
    "kern.ckpt_option": "{name} ({arch}, test accuracy {acc:.1%})",
    "kern.invert": "Invert the image (MNIST digits are white on black)",
    "kern.maps_as": "Show the maps as",
    "kern.maps_as_help": "Min–max shows each map's structure; diverging shows the sign (after the bias, many maps "
                         "are positive or negative almost everywhere).",
    "kern.ckpt_file": "Checkpoint (.safetensors)",
    "kern.ckpt_error": "This checkpoint cannot be used: {error}",
    "kern.no_ckpt": "No trained checkpoints yet. Train one on the Training page (or `python -m cnnviz.train "
                    "--arch lenet5`), or upload a .safetensors checkpoint.",
    "kern.learned_error": "The learned kernels cannot be applied: {error}",
    "kern.layer_line": "Layer `{layer}`: **{n} kernels of {kh}×{kw}**, stride {stride}, padding {padding}; "
                       "output {ow}×{oh} each.",
    "kern.map_caption": "#{i}: {lo:.2g} to {hi:.2g}",
    "kern.maps_note": "Each map is scaled on its own (its range is under it). Outputs are before the ReLU.",
    "scaling_title.clip": "Clip 0–255",
    "scaling_title.absolute": "Absolute value",
    "scaling_title.minmax": "Min–max",
    "scaling_title.diverging": "Diverging (blue − / red +)",
    "scaling.clip": "Clip to 0–255: values below 0 show as black and above 255 as white, as a photo editor "
                    "shows a filtered image. Right for blur, sharpen, emboss and identity; hides negative edges.",
    "scaling.absolute": "Absolute value: |output| from black (0) to white (the largest response). Shows edge "
                        "strength but not its direction (dark-to-light and light-to-dark look the same).",
    "scaling.minmax": "Min–max: the most negative value is black and the most positive white. Zero becomes a "
                      "grey whose shade depends on the image.",
    "scaling.diverging": "Diverging colours: blue is negative, white is 0 and red is positive, symmetric around 0 "
                         "(±the largest |value|). Shows both the sign and the strength.",
    "legend.clip": "black = 0 or less, white = 255 or more (output range {lo:.4g} to {hi:.4g})",
    "legend.sat": " or more (the largest is {top:.4g}; {percentile:g}% of pixels are below)",
    "legend.absolute_zero": "the output is 0 everywhere",
    "legend.absolute": "black = 0, white = |value| {limit:.4g}",
    "legend.minmax_flat": "the output is flat: every pixel is {lo:.4g} (shown as mid-grey)",
    "legend.minmax": "black = {lo:.4g} (minimum), white = {hi:.4g} (maximum)",
    "legend.diverging_zero": "the output is 0 everywhere (all white)",
    "legend.diverging": "blue = −{limit:.4g}, white = 0, red = +{limit:.4g}",
    "legend.rgb_mean": " (the mean of the R, G and B outputs)",
    "padding_mode.zeros": "pixels outside the image count as 0 (black), which darkens or brightens the border",
    "padding_mode.reflect": "the image is mirrored at its edge, without repeating the edge pixel (… c b | a b c …)",
    "padding_mode.replicate": "the edge pixel is repeated outwards (… a a | a b c …)",
    "padding_mode.circular": "the image wraps around: the left edge continues with the right edge",
    "preset.identity.title": "Identity",
    "preset.identity.desc": "Copies the centre pixel: the output equals the input. A good start to see what "
                            "padding and stride alone do.",
    "preset.sobel_x.title": "Sobel x (vertical edges)",
    "preset.sobel_x.desc": "Right column minus left column, with the middle row weighted twice: responds to "
                           "left–right brightness changes, i.e. vertical edges. Dark on the left and light on the "
                           "right gives positive values, light-to-dark negative (the kernel is not flipped).",
    "preset.sobel_y.title": "Sobel y (horizontal edges)",
    "preset.sobel_y.desc": "Bottom row minus top row: responds to top–bottom changes, i.e. horizontal edges.",
    "preset.sobel_magnitude.title": "Gradient magnitude (Sobel)",
    "preset.sobel_magnitude.desc": "Applies Sobel x and Sobel y and combines them as √(gx² + gy²): edge strength "
                                   "in every direction. Not a single convolution: two kernels and a non-linear "
                                   "step.",
    "preset.scharr_x.title": "Scharr x",
    "preset.scharr_x.desc": "Like Sobel x with weights 3-10-3: its response depends less on the edge's angle.",
    "preset.prewitt_x.title": "Prewitt x",
    "preset.prewitt_x.desc": "The plainest vertical-edge detector: right column minus left column, equal weights.",
    "preset.scharr_y.title": "Scharr y",
    "preset.scharr_y.desc": "Scharr x turned by 90°: bottom row minus top row with weights 3-10-3, for horizontal edges.",
    "preset.prewitt_y.title": "Prewitt y",
    "preset.prewitt_y.desc": "The plainest horizontal-edge detector: bottom row minus top row, equal weights.",
    "preset.laplacian.title": "Laplacian",
    "preset.laplacian.desc": "The four adjacent pixels minus four times the centre: a second derivative. Zero on flat "
                             "areas and smooth ramps, a +/− pair on both sides of each edge.",
    "preset.outline.title": "Outline",
    "preset.outline.desc": "Eight times the centre minus its eight adjacent pixels. Its weights sum to 0, so flat "
                           "regions go to 0 and only outlines stay. The source tutorial printed a centre of −8, a "
                           "typo (its weights would sum to −16); the app uses +8.",
    "preset.box_blur.title": "Box blur 3×3",
    "preset.box_blur.desc": "The mean of the 3×3 neighbourhood: every weight is 1/9, so the weights sum to 1 and "
                            "the brightness is kept.",
    "preset.gaussian3.title": "Gaussian blur 3×3",
    "preset.gaussian3.desc": "A weighted mean, closer pixels count more (1-2-1 × 1-2-1, divided by 16): a softer "
                             "blur than the box.",
    "preset.gaussian5.title": "Gaussian blur 5×5",
    "preset.gaussian5.desc": "Binomial weights 1-4-6-4-1 in both directions, divided by 256: a wider, smooth blur.",
    "preset.sharpen.title": "Sharpen",
    "preset.sharpen.desc": "The pixel plus its difference from its four adjacent pixels (identity minus a "
                           "Laplacian): edges get more contrast. The weights sum to 1.",
    "preset.emboss.title": "Emboss",
    "preset.emboss.desc": "Bright on one side of each edge, dark on the other, as if lit from the upper left: edges "
                          "facing up or left turn bright, those facing down or right dark (the kernel is not "
                          "flipped). A relief effect; the weights sum to 1.",
    # ------------------------------------------------------------------ feature maps
    "fm.title": "🔬 Feature maps: what the network sees",
    "fm.intro": "Draw a digit and follow it through the network: the 28×28 image the network receives, what every "
                "layer makes of it (each small square is one channel's feature map), the filters of the first "
                "layer, which strokes decided the class, and the probability of every class.",
    "fm.no_checkpoints": "No checkpoints found. Train one on the **Training** page, or run "
                         "`python -m cnnviz.train --arch lenet5 --augment --out checkpoints/`.",
    "fm.trained_by_you": " · trained by you",
    "fm.unreadable": "⚠️ {name}{where} (unreadable)",
    "fm.test_acc": " · test acc. {acc:.1%}",
    "fm.option": "{title} · {name}{where}{acc}",
    "fm.cannot_use": "**{name}** cannot be used: {error}",
    "fm.cannot_load": "**{name}** cannot be loaded: {error}",
    "fm.model": "Model",
    "fm.compare": "Compare with a second model",
    "fm.second_model": "Second model",
    "fm.scale": "Colour scale",
    "fm.scale_help": "Per layer: each layer uses its full colour range. Global: the same value has the same colour "
                     "in every layer, so you can compare how strong the layers respond.",
    "fm_scale.layer": "Per layer",
    "fm_scale.global": "Global",
    "fm.method": "Attribution",
    "fm.method_help": "Which pixels decided the predicted class (computed with captum).",
    "fm_method.integrated_gradients": "Integrated gradients (input pixels)",
    "fm_method.gradcam": "Grad-CAM (last convolutional maps)",
    "fm_method.saliency": "Saliency (input gradient)",
    "fm.input": "Input",
    "fm.mode_draw": "✏️ Draw",
    "fm.mode_digit": "🎲 Test digit",
    "fm.class": "Class",
    "fm.class_any": "any",
    "fm.new_digit": "🎲 New random digit",
    "fm.digit_caption": "Test digit #{idx}: a real MNIST {label}",
    "fm.no_canvas": "The drawing canvas is not available ({error}). Use **🎲 Test digit** instead.",
    "fm.stroke": "Stroke width",
    "fm.stroke_help": "The default suits MNIST: strokes about a tenth of the digit's height.",
    "fm.clear": "🧹 Clear",
    "fm.analysis_failed": "{name}: the analysis failed ({kind}: {error}).",
    "fm.receives": "**What the network receives**",
    "fm.draw_prompt": "✏️ Draw a digit on the black canvas (a large one, filling most of the square, works best), "
                      "or switch to **🎲 Test digit**.",
    "fm.preprocess": "28×28, cropped to the ink, scaled to 20 px and centred by its centre of mass, as the "
                     "MNIST digits were made; then normalized with the training mean and std, as the network "
                     "was trained.",
    "fm.unreadable_input": "Nothing to show: the input could not be read.",
    "fm.prediction": "**Prediction: {label}** &nbsp; (probability {p:.1%})",
    "fm.softmax_note": "Softmax turns the last layer's {n} scores into probabilities that sum to 1.",
    "fm.correct": "✅ correct (true label of the test digit)",
    "fm.wrong": "❌ wrong: it is a {label} (true label of the test digit)",
    "fm.decided": "**Which pixels decided it**",
    "fm.explain_gradcam": "Red: the regions whose feature maps pushed the score of **{label}** up.",
    "fm.explain_ig": "Red pixels raised the score of **{label}**, blue pixels lowered it.",
    "fm.explain_saliency": "Where a small change of the pixel would change the score most.",
    "fm.no_attribution": "Attribution is not available for this model ({kind}: {error}).",
    "fm.side_by_side": "Side by side",
    "fm.draw_to_compare": "Draw a digit to compare the predictions.",
    "fm.prediction_short": "Prediction: **{label}** ({p:.1%})",
    "fm.no_filters": "This network has no first-layer filters to show.",
    "fm.filters_shown": " (the first {n} of {total})",
    "fm.filters_header": "Learned filters of the first layer",
    "fm.filters_caption": "Each square is one kernel the network learned (red = positive weight, blue = negative). "
                          "Sliding it over the image gives one feature map of the first layer below.",
    "fm.layers_header": "Inside the network, layer by layer",
    "fm.layers_empty": "The feature maps appear here once there is a digit to look at.",
    "fm.layers_caption": "Every layer in the order the data flows through it, labelled with its output shape "
                         "(channels × height × width). Many channels are tiled into one image, channel 0 at the "
                         "top left, row by row. White is 0, red positive, blue negative; a ReLU turns all the blue "
                         "to white. Hover over a map for its channel, the row and column under the pointer and the value "
                         "there; click it (or pick a layer and a channel below the maps) to see every exact value.",
    "fm.global_scale": "Global colour scale: ±{value:.2f} for every feature map{of}.",
    "fm.global_of": " of {name}",
    "fm.n_layers": "**{name}**: {n} layers",
    "fm.no_maps": "No feature maps for {name}.",
    "fm.tile_caption": "{c} channels, {cols} per row · {scale}",
    "fm.tile_caption_one": "1 channel · {scale}",
    "fm.tile_hover": "channel {c} · min {lo:.3g} · max {hi:.3g} · mean {mean:.3g}",
    "fm.tile_pixel": "row {row}, col {col}: ≈ {value} (read from the colour)",
    "fm.tile_click": "Click: how this number was computed, and the channel's exact values",
    "fm.range": "colour range ±{value:.3g}",
    "fm.colorbar": "Colour scale: blue = −max, white = 0, red = +max",
    "fm.inspect_header": "One channel up close",
    "fm.inspect_caption": "Hover over a pixel to see its row, column and value; click it to see how it was computed.",
    "fm.inspect_layer": "Layer",
    "fm.inspect_channel": "Channel",
    "fm.inspect_channel_help": "Channels are numbered from 0, left to right and top to bottom in the tiled image.",
    "fm.inspect_title": "Channel {c} of layer {n}: {h}×{w}",
    "fm.inspect_stats": "min {lo:.3f} · max {hi:.3f} · mean {mean:.3f} · {zeros:.0%} zeros",
    "fm.layer_label": "{n}. {title} · {shape}",
    "fm.hover_channel": "channel",
    "fm.hover_row": "row",
    "fm.hover_col": "col",
    "fm.hover_value": "value",
    "fm.hover_unit": "unit",
    "fm.hover_class": "class",
    "fm.hover_probability": "probability",
    "fm.hover_ink": "ink",
    "fm.hover_attribution": "attribution",
    "fm.hover_relative": "relative",
    "fm.hover_filter": "filter",
    "fm.hover_weight": "weight",
    # ------------------------------------------------------------------ training
    "train.title": "🏋️ Train a network",
    "train.intro": "Train any of the classic architectures on real digits and watch the loss fall and the accuracy "
                   "rise. Training runs in its own process on the server: you can change settings or open other "
                   "pages (draw digits on the feature-map page meanwhile) and come back to it here. Your runs "
                   "belong to this browser tab: reloading it starts a new session, and its old runs are stopped.",
    "train.loss_explainer": "The loss is the **cross-entropy**: −log of the probability that softmax gives the true class "
                            "(0 when the network is sure and right). The optimizer moves the weights *w* against the "
                            "gradient *g* with the learning rate η: **SGD** w ← w − η·v with momentum v ← 0.9·v + g; "
                            "**Adam** w ← w − η·m̂ / (√v̂ + ε) with bias-corrected running averages m̂ of g (β₁ = 0.9) and "
                            "v̂ of g² (β₂ = 0.999); **RMSprop** divides each step's gradient by a running root mean square "
                            "of recent gradients, w ← w − η·g / (√s + ε) with s ← 0.99·s + 0.01·g².",
    "train.arch_header": "1 · Architecture",
    "train.arch": "Architecture",
    "train.recommended": "Architecture from source tutorial {seed}. Recommended settings, chosen because they train it "
                         "well here (they may differ from the tutorial's own): {optimizer}, learning rate {lr:g}, batch "
                         "size {batch}, {epochs} epochs (the defaults below).",
    "train.parameters": "Parameters",
    "train.layer_caption": "Layer table from torchinfo for one 1×28×28 input (output shapes leave out the batch).",
    "train.col_layer": "layer",
    "train.col_type": "type",
    "train.col_output shape": "output shape",
    "train.col_parameters": "parameters",
    "train.settings_header": "2 · Training settings",
    "train.ds_mnist_missing": " (not available here: uses the embedded digits)",
    "train.ds_missing": " (not installed)",
    "train.dataset": "Dataset",
    "train.optimizer": "Optimizer",
    "train.lr": "Learning rate",
    "train.lr_help": "A positive number such as 0.001 or 1e-3. Try 1e6 to see divergence.",
    "train.batch": "Batch size",
    "train.epochs": "Epochs",
    "train.limit": "Training examples (0 = all)",
    "train.limit_help": "Train on a random sample only: quicker, and shows overfitting on small data.",
    "train.seed": "Seed",
    "train.augment": "Augmentation",
    "train.augment_help": "Random small rotations, shifts and zooms of every batch: more robust to hand-drawn "
                          "digits, a little slower to learn.",
    "train.lecture_note": "Lecture mode: the recommended batch size and seed are used.",
    "train.start": "▶ Start training",
    "train.bad_lr": "The learning rate must be a number such as 0.001 or 1e-3, not {value}.",
    "train.cannot_start": "Cannot start: {error}.",
    "train.started": "Started {title}",
    "train.live_header": "3 · Live view",
    "train.no_runs": "No runs yet. Choose the settings above and press **Start training**.",
    "train.run": "Run",
    "train.run_option": "{icon} {label} · {optimizer} lr={lr:g} · {status}",
    "status.queued": "queued",
    "status.starting": "starting",
    "status.running": "running",
    "status.stopping": "stopping",
    "status.done": "done",
    "status.stopped": "stopped",
    "status.failed": "failed",
    "train.gone": "This run is no longer available (it was cleaned up).",
    "train.run_head": "**{label}** · {dataset} · {optimizer}, lr {lr:g}, batch {batch}, {epochs} epoch(s){augment}, "
                      "seed {seed}",
    "train.run_head_augment": ", augmentation",
    "train.stop": "⏹ Stop",
    "train.queued": "⏳ Waiting in the queue: position **{position}**. This server trains at most {max_jobs} "
                    "model(s) at a time; {running} running now.",
    "train.starting": "🚀 Starting a worker process…",
    "train.progress": "Epoch {epoch}/{epochs} · step {step:,}/{total:,} · {speed:,.0f} samples/s · elapsed {elapsed}",
    "train.eta": " · ETA {eta}",
    "train.stopping": "Stopping after the current step…",
    "train.data_note": "{note} Training on {n_train:,} examples, testing on {n_test:,} · {params:,} parameters · "
                       "device: {device}.",
    "train.eval_header": "4 · Evaluation",
    "train.finished": "Finished {epochs} epoch(s) in {time}: test accuracy **{acc}** on {n_test:,} test images.",
    "train.stopped": "⏹️ {reason}. The weights and the charts so far are kept (test accuracy {acc}).",
    "train.failed": "❌ {reason}",
    "train.test_accuracy": "Test accuracy",
    "train.time": "Training time",
    "train.epochs_done": "Epochs completed",
    "train.confused": "**Most often confused:** {pairs}",
    "train.confused_pair": "true {t} read as {p} ({n}×)",
    "train.wrong": "**Misclassified test images** ({wrong:,} of {total:,}; the most confident mistakes first)",
    "train.wrong_title": "true {t} → <b>{p}</b>",
    "train.save_intro": "**Save the model**: saved checkpoints appear on the feature-map and kernels pages.",
    "train.nothing_to_save": "Nothing to save: {why}.",
    "train.no_weights": "no weights came back",
    "train.ckpt_name": "Checkpoint name",
    "train.overwrite": "Overwrite",
    "train.save": "💾 Save checkpoint",
    "train.save_error": "Cannot save: {error}",
    "train.download": "⬇ Download checkpoint (.safetensors)",
    "train.compare_header": "5 · Compare runs",
    "train.compare_pick": "Runs to compare",
    "train.compare_name": "{label} ({optimizer}, lr {lr:g})",
    "col.run": "run",
    "col.status": "status",
    "col.test accuracy": "test accuracy",
    "col.time (s)": "time (s)",
    "col.parameters": "parameters",
    "col.epochs": "epochs",
    "col.optimizer": "optimizer",
    "col.lr": "lr",
    "col.batch": "batch",
    "col.augment": "augment",
    "col.dataset": "dataset",
    "col.samples/s": "samples/s",
    "optimizer.sgd": "SGD (momentum)",
    "optimizer.adam": "Adam",
    "optimizer.rmsprop": "RMSprop",
    "dataset.embedded": "Embedded MNIST (10,000 real digits: 8,000 train / 2,000 test)",
    "dataset.mnist": "Full MNIST (60,000 / 10,000, torchvision)",
    "dataset.fashion-mnist": "Fashion-MNIST (60,000 / 10,000)",
    "arch.mlp.title": "MLP 784-256-10",
    "arch.mlp.desc": "A multilayer perceptron: the 28x28 image is flattened into 784 numbers, one hidden layer "
                     "of 256 ReLU units, and 10 outputs. It has no convolutions, so it cannot use the spatial "
                     "relations between neighbouring pixels; compare its filters and accuracy with the CNNs.",
    "arch.cnn.title": "CNN 32-64",
    "arch.cnn.desc": "Two 3x3 convolutions (1->32, 32->64 channels) with padding 1, each followed by ReLU and "
                     "2x2 max pooling (28 -> 14 -> 7), then a fully connected layer 3136 -> 128 -> 10. "
                     "The source tutorial trains it with SGD and momentum 0.9.",
    "arch.cnn16_32.title": "CNN 16-32",
    "arch.cnn16_32.desc": "Two 5x5 convolutions with padding 2 (so the size is kept), 16 then 32 channels, each "
                          "with ReLU and 2x2 max pooling (28 -> 14 -> 7), and one fully connected layer 1568 -> 10.",
    "arch.lenet5.title": "LeNet-5",
    "arch.lenet5.desc": "LeCun's 1998 network: C1 six 5x5 filters (padding 2, so 28x28 stays 28x28), S2 pooling "
                        "to 14x14, C3 sixteen 5x5 filters (10x10), S4 pooling to 5x5, C5 120 5x5 filters (1x1), "
                        "F6 84 units, and 10 outputs. It differs from LeCun's: padding 2 replaces his 32x32 input, "
                        "C3 connects to all 6 S2 maps instead of his sparse connection table, the output is a "
                        "plain linear layer instead of his RBF units, and ReLU and max pooling replace the "
                        "original tanh and subsampling.",
    "arch.simple_cnn.title": "SimpleCNN 10-20",
    "arch.simple_cnn.desc": "The classic beginner CNN: conv 5x5 -> 10 channels (24x24), 2x2 max pool (12x12), "
                            "ReLU, conv 5x5 -> 20 channels (8x8), pool (4x4), ReLU, then flatten 20x4x4 = 320 -> 10.",
    "arch.inception.title": "GoogLeNet-style (InceptionA)",
    "arch.inception.desc": "Two InceptionA blocks. Each runs four branches in parallel on the same input (1x1; 1x1 "
                           "then 5x5; 1x1 then two 3x3; 3x3 average pool then 1x1) and concatenates their "
                           "16+24+24+24 = 88 channels, so the network can choose the filter size that fits each "
                           "feature. The 1x1 convolutions are bottlenecks: they mix the input channels down to 16 "
                           "before the costlier 3x3 and 5x5 convolutions. Unlike GoogLeNet, which has a ReLU after "
                           "every convolution, these branches (as in the source tutorial) have no ReLU, so a "
                           "block and the convolution after it are together one linear map.",
    "arch.resnet.title": "ResNet-style",
    "arch.resnet.desc": "Convolutions and pooling with a residual block after each: the block computes F(x) with "
                        "two 3x3 convolutions and outputs ReLU(x + F(x)). The skip connection lets gradients flow "
                        "straight through, which is what makes very deep ResNets trainable.",
    "arch.densenet.title": "DenseNet-style",
    "arch.densenet.desc": "Two dense blocks of three layers. Every layer (BatchNorm, ReLU, 3x3 conv) adds 12 new "
                          "maps and passes on everything it received, so each layer sees all earlier features. "
                          "A transition (BatchNorm, ReLU, 1x1 conv, 2x2 average pool) follows each block, the last "
                          "one after the last block, and halves channels and size (52 -> 26 channels, 28 -> 14; "
                          "62 -> 32, 14 -> 7).",
}

ZH: dict[str, str] = {
    # ------------------------------------------------------------------ app, sidebar
    "app.page_title": "cnnviz：看懂卷积神经网络",
    "nav.home": "CNN 如何工作",
    "nav.kernels": "卷积核",
    "nav.pooling": "池化",
    "nav.training": "训练",
    "nav.feature_maps": "特征图",
    "sidebar.language": "Language / 语言",
    "sidebar.lecture": "授课模式",
    "sidebar.lecture_help": "大字号、高对比度、更大的图表、更少的控件：投影到阶梯教室里也能看清。",
    # ------------------------------------------------------------------ shared widgets (ui/)
    "common.loading_digits": "正在加载内置的 MNIST 手写数字…",
    "img.source": "图像来源",
    "img.source_sample": "示例照片",
    "img.source_upload": "上传图像",
    "img.sample": "示例",
    "img.upload_label": "PNG、JPEG、GIF（第一帧）、BMP 或 WEBP",
    "img.upload_help": "最大 {mb} MB、{mp:.0f} 百万像素。大图按原尺寸计算，只是缩小显示。",
    "img.upload_prompt": "请上传一张图像，或切换回示例照片。",
    "img.upload_error": "无法使用此文件：{error}",
    "img.describe": "{w}×{h} 像素（宽 × 高），{kind}",
    "img.kind_rgb": "彩色（RGB）",
    "img.kind_gray": "灰度",
    "img_note.16bit": "16 位灰度从 0–65535 缩放到 0–255（未截断）",
    "img_note.scaled": "{kind}图像从 {lo}–{hi} 缩放到 0–255",
    "img_note.int32": "32 位整数",
    "img_note.float": "浮点",
    "img_note.transparent": "透明像素显示为白色",
    "img_note.cmyk": "CMYK 已转换为 RGB",
    "img_note.frames": "使用了 {n} 帧中的第一帧",
    "img_note.exif": "已应用 EXIF 方向 {n}（照片按正向显示）",
    "img_note.gray": "以彩色存储但实为灰度：按灰度处理",
    "sample.chelsea": "猫咪 Chelsea",
    "sample.camera": "摄影师（灰度）",
    "sample.coins": "硬币（灰度）",
    "sample.astronaut": "宇航员（艾琳·柯林斯）",
    "color.label": "颜色",
    "color.gray": "灰度",
    "color.rgb": "RGB，逐通道分别处理（Conv2d 会把三个通道混合）",
    "fig.loss_title": "训练损失",
    "fig.acc_title": "准确率",
    "fig.cm_title": "混淆矩阵",
    "fig.per_class_title": "各类别准确率",
    "fig.step": "步数",
    "fig.loss": "交叉熵损失",
    "fig.accuracy": "准确率",
    "fig.true_class": "真实类别",
    "fig.predicted_class": "预测类别",
    "fig.cmp_loss_title": "训练损失（平滑后）",
    "fig.cmp_acc_title": "测试准确率",
    "fig.cmp_loss": "损失",
    "fig.fraction": "训练进度",
    "fig.raw": "原始值",
    "fig.smoothed": "平滑后",
    "fig.train_running": "训练集（本轮累计）",
    "fig.train": "训练集",
    "fig.test": "测试集",
    # ------------------------------------------------------------------ home
    "home.title": "🧠 cnnviz：看懂卷积神经网络的内部",
    "home.intro": "手写一个数字，观察每一层如何响应；用真实的 MNIST 手写数字训练真正的 PyTorch 网络；"
                  "在你自己的图像上试试卷积核和池化。请在侧边栏中选择页面。",
    "home.pipeline": "处理流程",
    "home.pipeline_dot": """
    digraph {{
      rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#eef3fc", fontname="Noto Sans CJK SC, Helvetica", fontsize={size}];
      edge [fontname="Noto Sans CJK SC, Helvetica", fontsize={size}];
      input [label="输入\\n1×28×28"]; conv [label="卷积\\n滑动加权求和"];
      relu [label="ReLU\\nmax(0, x)"]; pool [label="池化\\n最大 / 平均"];
      flat [label="展平\\n特征图 → 向量"]; fc [label="全连接层\\nW·x + b"];
      soft [label="Softmax\\n10 个概率"];
      input -> conv -> relu -> pool -> flat -> fc -> soft;
      pool -> conv [label=" 重复", style=dashed];
    }}
    """,
    "home.conv": "**卷积。** 一个小的权重网格——*卷积核*——在图像上滑动。在每个位置，它把覆盖到的像素与对应权重"
                 "相乘再求和（加权求和），得到输出*特征图*中的一个数。每个卷积核检测一种图案（边缘、曲线），"
                 "无论它出现在图像的哪个位置。如果输入有多个通道（上一层的各张特征图），卷积核对每个通道各有一个切片："
                 "这一层把 C_in 个通道的结果相加，再加上偏置 *b*：out = Σ_c x_c ⋆ k_c + b"
                 "（例如 5×5 卷积、6→16：16 个 6×5×5 的卷积核）。",
    "home.relu_pool": "**ReLU 与池化。** ReLU 是一种激活函数：保留正的响应，把负的响应置为零：`ReLU(x) = max(0, x)`。"
                      "没有它，堆叠的卷积层合起来只是一个线性映射。"
                      "池化用每个小窗口的最大值（最大池化）或平均值（平均池化）来概括该窗口；"
                      "2×2 窗口、步幅 2 会把尺寸减半，使后面的层看到更大的区域。",
    "home.fc_softmax": "**展平、全连接层、Softmax。** 最后的特征图被展平成一个向量；全连接层把它的全部元素组合成 "
                       "10 个分数（*logits*）z，softmax 再用 p_i = e^(z_i) / Σ_j e^(z_j) 把它们转换成总和为 1 的概率。训练的目标是降低"
                       "*交叉熵损失*，即 −log p(真实类别)。",
    "home.optimizers": "**优化器。** 训练不断重复：对一批样本做预测，计算损失，通过反向传播求出梯度 *g*，再以学习率 η 让权重 *w* 沿下降方向更新一步。**带动量的 SGD**（这里 μ = "
                       "0.9）：v ← μ·v + g，再 w ← w − η·v，每一步都保留上一步的一部分。**Adam**（β₁ = 0.9，β₂ = 0.999，ε = 10⁻⁸）：维护滑动平均 m ← "
                       "β₁·m + (1 − β₁)·g 和 v ← β₂·v + (1 − β₂)·g²，经偏差校正得到 m̂ 和 v̂，再更新 w ← w − η·m̂ / (√v̂ + "
                       "ε)，即用平均梯度除以平均平方梯度的平方根。**RMSprop**（α = 0.99，ε = 10⁻⁸）：s ← α·s + (1 − α)·g²，再 w ← w − η·g / (√s "
                       "+ ε)，即把每一步的梯度除以最近梯度的滑动均方根。",
    "home.formula_header": "输出尺寸公式",
    "home.formula_text": "*W* 是输入宽度，*F* 是卷积核（滤波器）大小，*P* 是**每一侧**的填充（所以公式里是 2P），"
                         "*S* 是步幅（步长）；⌊ ⌋ 表示不能整除时向下取整。下表列出 **LeNet-5** 的每一层："
                         "形状来自把一个真实的 1×28×28 输入送入模型，并给出每种层的尺寸规则、它在输入上的感受野"
                         "和参数个数：",
    "home.col_layer": "层",
    "home.col_type": "类型",
    "home.col_input": "输入",
    "home.col_output": "输出",
    "home.col_formula": "输出尺寸",
    "home.size_unchanged": "尺寸不变",
    "home.data_header": "数据与内置模型",
    "home.data_text": "cnnviz 开箱即用：应用内置了 **{total:,} 个真实的 MNIST 手写数字**（{train:,} 个用于训练，"
                      "{test:,} 个用于测试），因此可以离线运行。如果完整的 MNIST 和 Fashion-MNIST 可用，也会使用它们。",
    "home.col_model": "模型",
    "home.col_architecture": "网络结构",
    "home.col_test_accuracy": "测试准确率",
    "home.col_note": "备注",
    "home.col_epochs": "轮数",
    "home.col_seed": "原始资料",
    "home.no_checkpoints": "checkpoints/ 中没有找到检查点。可以用 `python -m cnnviz.train --arch lenet5` 训练一个。",
    # ------------------------------------------------------------------ pooling
    "pool.title": "🧊 池化",
    "pool.intro": "池化让一个窗口在每张特征图上滑动，每个窗口只保留一个数：**最大值**（最大池化：*这个图案在这附近"
                  "出现过吗？*）或**平均值**（平均池化）。池化没有需要学习的权重。2×2 窗口、步幅 2 会把宽和高都减半，"
                  "于是后面的层以同样的计算量看到更大的区域，网络对输入的微小平移也更不敏感。",
    "pool.image": "1 · 图像",
    "pool.settings": "2 · 设置",
    "pool.kind": "池化方式",
    "pool_kind.max": "最大池化",
    "pool_kind.avg": "平均池化",
    "pool.window": "窗口",
    "pool.window_help": "窗口为 k×k 个像素。",
    "pool.stride": "步幅",
    "pool.stride_help": "步幅（步长）：窗口每一步移动的距离（通常等于窗口大小）。",
    "pool.padding": "填充",
    "pool.padding_help": "最多为窗口的一半。最大池化用 −∞ 填充（永远不会被选中）；平均池化用 0 填充"
                         "（计入平均值，这是 PyTorch 的默认做法）。",
    "pool.ceil": "ceil_mode（保留最后一个不完整的窗口）",
    "pool.ceil_help": "输出尺寸向上取整而不是向下取整：超出边缘的窗口只要起点在图像内就会保留。",
    "pool.error": "这些设置不可用：{error}",
    "pool.sizes": "池化前后的尺寸",
    "pool.before": "池化前（宽 × 高）",
    "pool.after": "池化后（宽 × 高）",
    "pool.after_help": "{pixels:,} 个像素，是池化前 {before:,} 个像素的 {share:.1%}",
    "pool.formula_line": "宽：`{width}` · 高：`{height}`",
    "pool.fig_before": "池化前：{w}×{h}",
    "pool.fig_after": "{kind}后：{w}×{h}",
    "pool.same_size": "两幅图在屏幕上以相同大小显示：池化后的图像像素更少、每个像素更大。拖出一个方框即可放大比较。",
    "pool.pyramid": "金字塔：一次又一次地做同样的池化",
    "pool.level_input": "输入：{w}×{h}",
    "pool.level_n": "池化 {i} 次：{w}×{h}",
    "pool.no_second": "窗口放不下第二次池化了。",
    "pool.example": "✍️ 小网格上的计算示例",
    "pool.example_caption": "每个窗口与它产生的输出单元格颜色相同。最大池化时，每个窗口的最大值被圈出；"
                            "平均池化时，输出是窗口内数值的平均值。",
    "pool.grid_size": "网格大小",
    "pool.grid_seed": "数值（随机种子）",
    "pool.example_error": "计算示例无法使用这些设置：{error}",
    "pool.step": "逐个查看窗口（0 = 全部同时显示）",
    "pool.example_size": "输出尺寸：宽 `{fw}`，高 `{fh}` → **{w}×{h}**",
    "pool.win_max": "窗口 {n} → 输出（第 {row} 行，第 {col} 列）：max({vals}{pad}) = **{value:g}**，"
                    "位于网格第 {wr} 行、第 {wc} 列。",
    "pool.win_max_pad": "，−∞ 填充",
    "pool.win_avg": "窗口 {n} → 输出（第 {row} 行，第 {col} 列）：({vals}{zeros}) / {count} = **{value:.4g}**",
    "pool.win_avg_pad": "（计入了 {pads} 个填充的 0）",
    "pool.ex_input": "输入 {h}×{w}",
    "pool.ex_input_pad": "输入 {h}×{w} + 填充 {p}",
    "pool.ex_output": "输出 {h}×{w}",
    # ------------------------------------------------------------------ kernels
    "kern.title": "🔍 卷积核",
    "kern.intro": "**卷积核**是一个小的权重网格。它在图像上滑动；在每个位置，把覆盖到的像素与权重逐个相乘再求和，"
                  "得到输出（*特征图*）中的一个像素。这正是 CNN 中 `Conv2d` 层对**一个输入通道**的计算（这里同样用 "
                  "`torch.nn.functional.conv2d` 计算）；一层会把 `C_in` 个输入通道（每个通道有自己的卷积核）的结果相加，"
                  "再加上偏置：`out = Σ_c x_c ⋆ k_c + b`（可以试试颜色模式“3 个输入通道的 Conv2d”）。网络的权重是学出来的，"
                  "而不是人工选定的。严格地说，CNN 中的“卷积”是互相关：卷积核不翻转。这对学到的卷积核没有影响，"
                  "但决定了人工设计的卷积核（Sobel、浮雕）的方向。",
    "kern.image": "1 · 图像",
    "kern.kernel": "2 · 卷积核",
    "kern.settings": "3 · 设置",
    "kern.preset": "预设",
    "kern.custom": "✏️ 自定义（编辑权重）",
    "kern.size": "大小",
    "kern.start_from": "初始卷积核",
    "kern.normalise": "归一化（除以权重之和）",
    "kern.normalise_help": "保持平坦区域的亮度。边缘检测核的权重和为 0，此时改为除以正权重之和。",
    "kern.normalised": "已归一化：{how}。",
    "norm.sum": "除以了权重之和（{total:g}）",
    "norm.zero": "所有权重都是 0：无需归一化",
    "norm.edge": "权重之和为 0（边缘检测核），因此改为除以正权重之和（{positive:g}）",
    "kern.custom_desc": "你自己的卷积核。正权重把其下方的像素加上，负权重把它们减去。",
    "kern.bad_kernel": "这个卷积核不能使用：{error}",
    "kern.fig_kernel": "卷积核",
    "kern.fig_kernel_n": "卷积核 {name}",
    "kern.sum": "权重之和：{total:.4g}",
    "kern.sum_kept": "（亮度保持不变）",
    "kern.sum_zero": "（平坦区域变为 0）",
    "kern.stride": "步幅",
    "kern.stride_help": "步幅（步长）：卷积核每一步移动的像素数。",
    "kern.dilation": "膨胀率（空洞）",
    "kern.dilation_help": "卷积核各采样点之间的间隔：膨胀率为 2 的 3×3 卷积核覆盖 5×5 的范围。",
    "kern.padding": "填充",
    "kern.padding_help": "卷积核滑动前在图像四周补充的像素数。",
    "kern.padding_mode": "填充方式",
    "kern.padding_mode_caption": "**{mode}**：{text}。",
    "kern.show_as": "输出的显示方式",
    "kern.lecture_note": "授课模式：膨胀率为 1，使用零填充（在侧边栏关闭授课模式即可调整膨胀率和填充方式）。",
    "kern.conv_error": "这些设置不可用：{error}",
    "kern.output_size": "输出尺寸",
    "kern.input_wh": "输入（宽 × 高）",
    "kern.output_wh": "输出（宽 × 高）",
    "kern.formula_line": "宽：`{width}` · 高：`{height}`",
    "kern.inspector": "🔬 像素检查器",
    "kern.inspector_caption": "点击上方任一张图中的像素，或用滑块选择一个输出像素：查看它对应的输入窗口"
                              "（在输入图上用红框标出）、卷积核、逐元素乘积以及它们的和。这个和就是该输出像素的值。",
    "kern.out_row": "输出行",
    "kern.out_col": "输出列",
    "kern.single_row": "{label}：0（输出只有一行）",
    "kern.single_col": "{label}：0（输出只有一列）",
    "kern.channel": "通道",
    "kern.fig_input": "输入 {w}×{h}",
    "kern.fig_input_gray": "输入 {w}×{h}（灰度）",
    "kern.shown_smaller": "缩小 {factor:.1f} 倍显示；按原尺寸计算。",
    "kern.fig_output": "输出 {w}×{h} · {scaling}",
    "kern.legend_smaller": "；缩小 {factor:.1f} 倍显示",
    "kern.gx": "gx（x 方向卷积核）",
    "kern.gy": "gy（y 方向卷积核）",
    "kern.insp_window": "输入窗口（0–255）",
    "kern.insp_weights": "卷积核权重",
    "kern.insp_products": "乘积（和 = {total:.6g}）",
    "kern.magnitude_line": "gx = **{gx:.6g}**，gy = **{gy:.6g}**，√(gx² + gy²) = **{value:.6g}**",
    "kern.sum_line": "Σ（非零权重）= {terms}{more} = **{value:.6g}**",
    "kern.more_terms": " + …（另有 {n} 项）",
    "kern.where": "输出像素（第 {row} 行，第 {col} 列）",
    "kern.where_channel": "输出像素（第 {row} 行，第 {col} 列，{channel} 通道）",
    "kern.exact": "conv2d 计算的{where} = **{value:.6g}**：与求和结果完全一致。",
    "kern.rounding": "conv2d 计算的{where} = **{value:.6g}**；精确的和是 {exact:.8g}。微小的差异"
                     "（{diff:.1e}）来自 conv2d 内部的 float32 舍入。",
    "kern.padding_marked": "标有 ᵖ 的数值来自 **{mode}** 填充，而不是图像本身。",
    "kern.learned": "🧠 学到的卷积核：训练好的 CNN 第一层对这张图像做了什么",
    "kern.learned_caption": "CNN 的第一个卷积层从 MNIST 手写数字中学到自己的卷积核。这里把它们按网络的方式"
                            "（使用其权重和偏置，图像转为灰度并像数字一样归一化）应用到你的图像上。"
                            "其中很多看起来就像上面的边缘检测核。",
    "kern.checkpoint": "检查点",
    "kern.ckpt_upload_option": "上传 .safetensors 检查点…",
    "kern.ckpt_option": "{name}（{arch}，测试准确率 {acc:.1%}）",
    "kern.invert": "反转图像（MNIST 数字是黑底白字）",
    "kern.maps_as": "特征图的显示方式",
    "kern.maps_as_help": "最小–最大显示每张特征图的结构；发散色显示正负号（加上偏置后，很多特征图几乎处处为正或处处为负）。",
    "kern.ckpt_file": "检查点（.safetensors）",
    "kern.ckpt_error": "这个检查点不能使用：{error}",
    "kern.no_ckpt": "还没有训练好的检查点。请在“训练”页面训练一个（或运行 `python -m cnnviz.train --arch lenet5`），"
                    "或上传一个 .safetensors 检查点。",
    "kern.learned_error": "无法应用学到的卷积核：{error}",
    "kern.layer_line": "层 `{layer}`：**{n} 个 {kh}×{kw} 卷积核**，步幅 {stride}，填充 {padding}；"
                       "每个输出 {ow}×{oh}。",
    "kern.map_caption": "#{i}：{lo:.2g} 到 {hi:.2g}",
    "kern.maps_note": "每张特征图单独缩放显示（范围写在图下方）。这些输出是 ReLU 之前的值。",
    "scaling_title.clip": "截断到 0–255",
    "scaling_title.absolute": "绝对值",
    "scaling_title.minmax": "最小–最大",
    "scaling_title.diverging": "发散色（蓝 − / 红 +）",
    "scaling.clip": "截断到 0–255：小于 0 的值显示为黑色，大于 255 的显示为白色，就像修图软件显示滤波后的图像。"
                    "适合模糊、锐化、浮雕和恒等核；会隐藏负的边缘响应。",
    "scaling.absolute": "绝对值：|输出| 从黑色（0）到白色（最大响应）。显示边缘强度，但不显示方向"
                        "（由暗到亮和由亮到暗看起来一样）。",
    "scaling.minmax": "最小–最大：最小（最负）的值为黑色，最大的值为白色。0 会显示为某种灰色，具体深浅取决于图像。",
    "scaling.diverging": "发散色：蓝色为负，白色为 0，红色为正，以 0 为中心对称（±最大的 |值|）。"
                         "同时显示正负号和强度。",
    "legend.clip": "黑色 = 0 或更小，白色 = 255 或更大（输出范围 {lo:.4g} 到 {hi:.4g}）",
    "legend.sat": " 或更大（最大值为 {top:.4g}；{percentile:g}% 的像素低于此值）",
    "legend.absolute_zero": "输出处处为 0",
    "legend.absolute": "黑色 = 0，白色 = |值| {limit:.4g}",
    "legend.minmax_flat": "输出是平的：每个像素都是 {lo:.4g}（显示为中灰色）",
    "legend.minmax": "黑色 = {lo:.4g}（最小值），白色 = {hi:.4g}（最大值）",
    "legend.diverging_zero": "输出处处为 0（全白）",
    "legend.diverging": "蓝色 = −{limit:.4g}，白色 = 0，红色 = +{limit:.4g}",
    "legend.rgb_mean": "（R、G、B 三个通道输出的平均值）",
    "padding_mode.zeros": "图像外的像素按 0（黑色）计算，会使边界变暗或变亮",
    "padding_mode.reflect": "图像在边缘处镜像翻转，不重复边缘像素（… c b | a b c …）",
    "padding_mode.replicate": "向外重复边缘像素（… a a | a b c …）",
    "padding_mode.circular": "图像首尾相接循环：左边缘接着右边缘",
    "preset.identity.title": "恒等",
    "preset.identity.desc": "复制中心像素：输出等于输入。适合用来单独观察填充和步幅的作用。",
    "preset.sobel_x.title": "Sobel x（竖直边缘）",
    "preset.sobel_x.desc": "右列减左列，中间一行权重加倍：对左右方向的亮度变化（即竖直边缘）产生响应。"
                           "左暗右亮为正值，左亮右暗为负值（卷积核不翻转）。",
    "preset.sobel_y.title": "Sobel y（水平边缘）",
    "preset.sobel_y.desc": "下行减上行：对上下方向的亮度变化（即水平边缘）产生响应。",
    "preset.sobel_magnitude.title": "梯度幅值（Sobel）",
    "preset.sobel_magnitude.desc": "分别应用 Sobel x 和 Sobel y，再按 √(gx² + gy²) 合并：各个方向的边缘强度。"
                                   "这不是单次卷积，而是两个卷积核加一个非线性步骤。",
    "preset.scharr_x.title": "Scharr x",
    "preset.scharr_x.desc": "类似 Sobel x，但权重为 3-10-3：响应受边缘角度的影响更小。",
    "preset.prewitt_x.title": "Prewitt x",
    "preset.prewitt_x.desc": "最朴素的竖直边缘检测核：右列减左列，权重相同。",
    "preset.scharr_y.title": "Scharr y",
    "preset.scharr_y.desc": "把 Scharr x 旋转 90°：下行减上行，权重为 3-10-3，用于检测水平边缘。",
    "preset.prewitt_y.title": "Prewitt y",
    "preset.prewitt_y.desc": "最朴素的水平边缘检测核：下行减上行，权重相同。",
    "preset.laplacian.title": "拉普拉斯",
    "preset.laplacian.desc": "上下左右四个相邻像素之和减去四倍中心：二阶导数。在平坦区域和平缓渐变处为 0，"
                             "在每条边缘两侧产生一对 +/− 响应。",
    "preset.outline.title": "轮廓",
    "preset.outline.desc": "八倍中心减去周围八个相邻像素。权重之和为 0，所以平坦区域变为 0，只留下轮廓。"
                           "原始资料中打印的中心值是 −8，那是笔误（权重之和会变成 −16）；本应用使用 +8。",
    "preset.box_blur.title": "均值模糊 3×3",
    "preset.box_blur.desc": "3×3 邻域的平均值：每个权重都是 1/9，权重之和为 1，因此亮度保持不变。",
    "preset.gaussian3.title": "高斯模糊 3×3",
    "preset.gaussian3.desc": "加权平均，越近的像素权重越大（1-2-1 × 1-2-1，再除以 16）：比均值模糊更柔和。",
    "preset.gaussian5.title": "高斯模糊 5×5",
    "preset.gaussian5.desc": "两个方向上都是二项式权重 1-4-6-4-1，再除以 256：范围更大、更平滑的模糊。",
    "preset.sharpen.title": "锐化",
    "preset.sharpen.desc": "像素本身加上它与上下左右四个相邻像素的差（恒等核减去拉普拉斯核）：边缘对比度增强。权重之和为 1。",
    "preset.emboss.title": "浮雕",
    "preset.emboss.desc": "每条边缘一侧变亮、另一侧变暗，就像光从左上方照来：朝上或朝左的边缘变亮，朝下或朝右的边缘变暗"
                          "（卷积核不翻转）。浮雕效果；权重之和为 1。",
    # ------------------------------------------------------------------ feature maps
    "fm.title": "🔬 特征图：网络看到了什么",
    "fm.intro": "手写一个数字，跟着它穿过整个网络：网络接收到的 28×28 图像、每一层对它的处理结果（每个小方块是一个通道的"
                "特征图）、第一层的滤波器、哪些笔画决定了分类结果，以及每个类别的概率。",
    "fm.no_checkpoints": "没有找到检查点。请在 **训练** 页面训练一个，或运行 "
                         "`python -m cnnviz.train --arch lenet5 --augment --out checkpoints/`。",
    "fm.trained_by_you": " · 你训练的",
    "fm.unreadable": "⚠️ {name}{where}（无法读取）",
    "fm.test_acc": " · 测试准确率 {acc:.1%}",
    "fm.option": "{title} · {name}{where}{acc}",
    "fm.cannot_use": "**{name}** 不能使用：{error}",
    "fm.cannot_load": "**{name}** 无法加载：{error}",
    "fm.model": "模型",
    "fm.compare": "与第二个模型比较",
    "fm.second_model": "第二个模型",
    "fm.scale": "色标",
    "fm.scale_help": "逐层：每一层使用自己完整的颜色范围。全局：同一个数值在每一层颜色相同，便于比较各层响应的强弱。",
    "fm_scale.layer": "逐层",
    "fm_scale.global": "全局",
    "fm.method": "归因方法",
    "fm.method_help": "哪些像素决定了预测的类别（用 captum 计算）。",
    "fm_method.integrated_gradients": "积分梯度（输入像素）",
    "fm_method.gradcam": "Grad-CAM（最后的卷积特征图）",
    "fm_method.saliency": "显著图（输入梯度）",
    "fm.input": "输入",
    "fm.mode_draw": "✏️ 手写",
    "fm.mode_digit": "🎲 测试数字",
    "fm.class": "类别",
    "fm.class_any": "任意",
    "fm.new_digit": "🎲 换一个随机数字",
    "fm.digit_caption": "测试数字 #{idx}：一个真实的 MNIST 数字 {label}",
    "fm.no_canvas": "手写画布不可用（{error}）。请改用 **🎲 测试数字**。",
    "fm.stroke": "笔画粗细",
    "fm.stroke_help": "默认值适合 MNIST：笔画粗细约为数字高度的十分之一。",
    "fm.clear": "🧹 清空",
    "fm.analysis_failed": "{name}：分析失败（{kind}：{error}）。",
    "fm.receives": "**网络接收到的输入**",
    "fm.draw_prompt": "✏️ 在黑色画布上写一个数字（写大一些、占满大部分方框效果最好），或切换到 **🎲 测试数字**。",
    "fm.preprocess": "28×28：裁剪到笔迹范围，缩放到 20 像素，按质心居中，与 MNIST 数字的制作方式相同；"
                     "再用训练集的均值和标准差归一化，与训练网络时相同。",
    "fm.unreadable_input": "没有可显示的内容：无法读取输入。",
    "fm.prediction": "**预测：{label}** &nbsp;（概率 {p:.1%}）",
    "fm.softmax_note": "Softmax 把最后一层的 {n} 个分数转换成总和为 1 的概率。",
    "fm.correct": "✅ 正确（测试数字的真实标签）",
    "fm.wrong": "❌ 错误：它是 {label}（测试数字的真实标签）",
    "fm.decided": "**哪些像素决定了结果**",
    "fm.explain_gradcam": "红色：这些区域的特征图提高了 **{label}** 的分数。",
    "fm.explain_ig": "红色像素提高了 **{label}** 的分数，蓝色像素降低了它。",
    "fm.explain_saliency": "像素发生微小变化时，分数变化最大的位置。",
    "fm.no_attribution": "这个模型无法计算归因（{kind}：{error}）。",
    "fm.side_by_side": "并排比较",
    "fm.draw_to_compare": "写一个数字来比较两个模型的预测。",
    "fm.prediction_short": "预测：**{label}**（{p:.1%}）",
    "fm.no_filters": "这个网络没有可显示的第一层滤波器。",
    "fm.filters_shown": "（前 {n} 个，共 {total} 个）",
    "fm.filters_header": "第一层学到的滤波器",
    "fm.filters_caption": "每个方块是网络学到的一个卷积核（红色 = 正权重，蓝色 = 负权重）。"
                          "让它在图像上滑动，就得到下面第一层的一张特征图。",
    "fm.layers_header": "逐层查看网络内部",
    "fm.layers_empty": "有了数字之后，特征图会显示在这里。",
    "fm.layers_caption": "按数据流经的顺序列出每一层，并标出输出形状（通道 × 高 × 宽）。多个通道拼成一张图："
                         "通道 0 在左上角，逐行排列。白色为 0，红色为正，蓝色为负；ReLU 会把所有蓝色变成白色。"
                         "将鼠标悬停在一张特征图上，可看到它的通道、指针所在的行和列以及该处的数值；点击它"
                         "（或在特征图下方选择一层和一个通道）即可查看每个精确数值。",
    "fm.global_scale": "全局色标：所有特征图{of}均为 ±{value:.2f}。",
    "fm.global_of": "（{name}）",
    "fm.n_layers": "**{name}**：{n} 层",
    "fm.no_maps": "{name} 没有特征图。",
    "fm.tile_caption": "{c} 个通道，每行 {cols} 个 · {scale}",
    "fm.tile_caption_one": "1 个通道 · {scale}",
    "fm.tile_hover": "通道 {c} · 最小 {lo:.3g} · 最大 {hi:.3g} · 平均 {mean:.3g}",
    "fm.tile_pixel": "第 {row} 行，第 {col} 列：≈ {value}（由颜色读出）",
    "fm.tile_click": "点击：查看这个数是怎样算出来的，以及此通道的精确数值",
    "fm.range": "颜色范围 ±{value:.3g}",
    "fm.colorbar": "色标：蓝色 = −最大值，白色 = 0，红色 = +最大值",
    "fm.inspect_header": "放大查看一个通道",
    "fm.inspect_caption": "把鼠标悬停在像素上，可查看它的行、列和数值；点击它，可查看它是怎样算出来的。",
    "fm.inspect_layer": "层",
    "fm.inspect_channel": "通道",
    "fm.inspect_channel_help": "通道从 0 开始编号，在拼接图中从左到右、从上到下排列。",
    "fm.inspect_title": "第 {n} 层的通道 {c}：{h}×{w}",
    "fm.inspect_stats": "最小 {lo:.3f} · 最大 {hi:.3f} · 平均 {mean:.3f} · {zeros:.0%} 为零",
    "fm.layer_label": "第 {n} 层 · {title} · {shape}",
    "fm.hover_channel": "通道",
    "fm.hover_row": "行",
    "fm.hover_col": "列",
    "fm.hover_value": "数值",
    "fm.hover_unit": "单元",
    "fm.hover_class": "类别",
    "fm.hover_probability": "概率",
    "fm.hover_ink": "墨迹",
    "fm.hover_attribution": "归因",
    "fm.hover_relative": "相对值",
    "fm.hover_filter": "滤波器",
    "fm.hover_weight": "权重",
    # ------------------------------------------------------------------ training
    "train.title": "🏋️ 训练网络",
    "train.intro": "在真实的手写数字上训练任意一种经典网络结构，看着损失下降、准确率上升。训练在服务器上的独立进程中"
                   "运行：你可以修改设置、打开其他页面（比如同时在特征图页面上写数字），之后再回到这里。"
                   "训练任务属于当前标签页：刷新标签页会开始新的会话，原来的训练任务会被停止。",
    "train.loss_explainer": "损失函数是**交叉熵损失**：对 softmax 给出的真实类别概率取负对数（网络确信且正确时为 0）。优化器以学习率 η 让权重 *w* 沿梯度 *g* 的反方向移动：**SGD** w "
                            "← w − η·v，动量 v ← 0.9·v + g；**Adam** w ← w − η·m̂ / (√v̂ + ε)，m̂ 和 v̂ 分别是 g（β₁ = 0.9）和 g²（β₂ = "
                            "0.999）经偏差校正的滑动平均；**RMSprop** 把每一步的梯度除以最近梯度的滑动均方根：w ← w − η·g / (√s + ε)，s ← 0.99·s + 0.01·g²。",
    "train.arch_header": "1 · 网络结构",
    "train.arch": "网络结构",
    "train.recommended": "网络结构出自原始资料 {seed}。推荐设置（在这里训练效果好，可能与原始资料中的设置不同）：{optimizer}，学习率 {lr:g}，批大小 {batch}，{epochs} "
                         "轮（即下方的默认值）。",
    "train.parameters": "参数量",
    "train.layer_caption": "由 torchinfo 对一个 1×28×28 输入生成的逐层表（输出形状不含批维度）。",
    "train.col_layer": "层",
    "train.col_type": "类型",
    "train.col_output shape": "输出形状",
    "train.col_parameters": "参数量",
    "train.settings_header": "2 · 训练设置",
    "train.ds_mnist_missing": "（此服务器不可用：改用内置数字）",
    "train.ds_missing": "（未安装）",
    "train.dataset": "数据集",
    "train.optimizer": "优化器",
    "train.lr": "学习率",
    "train.lr_help": "一个正数，例如 0.001 或 1e-3。试试 1e6，看看训练如何发散。",
    "train.batch": "批大小",
    "train.epochs": "训练轮数",
    "train.limit": "训练样本数（0 = 全部）",
    "train.limit_help": "只在随机抽取的部分样本上训练：更快，也能展示小数据上的过拟合。",
    "train.seed": "随机种子",
    "train.augment": "数据增强",
    "train.augment_help": "对每个批次做随机的小幅旋转、平移和缩放：对手写数字更稳健，但学得稍慢一些。",
    "train.lecture_note": "授课模式：使用推荐的批大小和随机种子。",
    "train.start": "▶ 开始训练",
    "train.bad_lr": "学习率必须是一个数，例如 0.001 或 1e-3，而不是 {value}。",
    "train.cannot_start": "无法开始：{error}。",
    "train.started": "已开始训练 {title}",
    "train.live_header": "3 · 实时视图",
    "train.no_runs": "还没有训练任务。请在上方选择设置，然后点击 **开始训练**。",
    "train.run": "训练任务",
    "train.run_option": "{icon} {label} · {optimizer} lr={lr:g} · {status}",
    "status.queued": "排队中",
    "status.starting": "启动中",
    "status.running": "运行中",
    "status.stopping": "正在停止",
    "status.done": "已完成",
    "status.stopped": "已停止",
    "status.failed": "失败",
    "train.gone": "这个训练任务已不存在（已被清理）。",
    "train.run_head": "**{label}** · {dataset} · {optimizer}，学习率 {lr:g}，批大小 {batch}，{epochs} 轮{augment}，"
                      "随机种子 {seed}",
    "train.run_head_augment": "，数据增强",
    "train.stop": "⏹ 停止",
    "train.queued": "⏳ 正在排队：第 **{position}** 位。此服务器最多同时训练 {max_jobs} 个模型；当前有 {running} 个正在运行。",
    "train.starting": "🚀 正在启动工作进程…",
    "train.progress": "第 {epoch}/{epochs} 轮 · 第 {step:,}/{total:,} 步 · 每秒 {speed:,.0f} 个样本 · 已用时 {elapsed}",
    "train.eta": " · 预计剩余 {eta}",
    "train.stopping": "将在当前步完成后停止…",
    "train.data_note": "{note} 训练样本 {n_train:,} 个，测试样本 {n_test:,} 个 · 参数量 {params:,} · 设备：{device}。",
    "train.eval_header": "4 · 评估",
    "train.finished": "已完成 {epochs} 轮，用时 {time}：在 {n_test:,} 张测试图像上的测试准确率为 **{acc}**。",
    "train.stopped": "⏹️ {reason}。已保留目前的权重和图表（测试准确率 {acc}）。",
    "train.failed": "❌ {reason}",
    "train.test_accuracy": "测试准确率",
    "train.time": "训练时间",
    "train.epochs_done": "已完成轮数",
    "train.confused": "**最常混淆：** {pairs}",
    "train.confused_pair": "真实 {t} 被认成 {p}（{n} 次）",
    "train.wrong": "**被分错的测试图像**（{total:,} 张中的 {wrong:,} 张；置信度最高的错误排在前面）",
    "train.wrong_title": "真实 {t} → <b>{p}</b>",
    "train.save_intro": "**保存模型**：保存的检查点会出现在特征图页面和卷积核页面上。",
    "train.nothing_to_save": "没有可保存的内容：{why}。",
    "train.no_weights": "没有返回权重",
    "train.ckpt_name": "检查点名称",
    "train.overwrite": "覆盖",
    "train.save": "💾 保存检查点",
    "train.save_error": "无法保存：{error}",
    "train.download": "⬇ 下载检查点（.safetensors）",
    "train.compare_header": "5 · 比较训练任务",
    "train.compare_pick": "要比较的训练任务",
    "train.compare_name": "{label}（{optimizer}，学习率 {lr:g}）",
    "col.run": "训练任务",
    "col.status": "状态",
    "col.test accuracy": "测试准确率",
    "col.time (s)": "用时（秒）",
    "col.parameters": "参数量",
    "col.epochs": "轮数",
    "col.optimizer": "优化器",
    "col.lr": "学习率",
    "col.batch": "批大小",
    "col.augment": "数据增强",
    "col.dataset": "数据集",
    "col.samples/s": "样本/秒",
    "optimizer.sgd": "SGD（带动量的随机梯度下降）",
    "optimizer.adam": "Adam",
    "optimizer.rmsprop": "RMSprop",
    "dataset.embedded": "内置 MNIST（10,000 个真实手写数字：训练 8,000 / 测试 2,000）",
    "dataset.mnist": "完整 MNIST（训练 60,000 / 测试 10,000，torchvision）",
    "dataset.fashion-mnist": "Fashion-MNIST（训练 60,000 / 测试 10,000）",
    "arch.mlp.title": "MLP 784-256-10",
    "arch.mlp.desc": "多层感知机：28×28 的图像被展平成 784 个数，经过一个有 256 个 ReLU 单元的隐藏层，输出 10 个值。"
                     "它没有卷积，所以无法利用相邻像素的空间关系；可以把它的滤波器和准确率与各个 CNN 比较一下。",
    "arch.cnn.title": "CNN 32-64",
    "arch.cnn.desc": "两个 3×3 卷积（1→32、32→64 个通道），填充为 1，每个卷积后接 ReLU 和 2×2 最大池化"
                     "（28 → 14 → 7），然后是全连接层 3136 → 128 → 10。原始资料用带动量 0.9 的 SGD 训练它。",
    "arch.cnn16_32.title": "CNN 16-32",
    "arch.cnn16_32.desc": "两个填充为 2 的 5×5 卷积（因此尺寸不变），先 16 后 32 个通道，每个后接 ReLU 和 2×2 最大池化"
                          "（28 → 14 → 7），最后一个全连接层 1568 → 10。",
    "arch.lenet5.title": "LeNet-5",
    "arch.lenet5.desc": "LeCun 1998 年的网络：C1 六个 5×5 滤波器（填充 2，28×28 保持 28×28），S2 池化到 14×14，"
                        "C3 十六个 5×5 滤波器（10×10），S4 池化到 5×5，C5 120 个 5×5 滤波器（1×1），"
                        "F6 84 个单元，输出 10 个值。它与 LeCun 的原版有几处不同：用填充 2 代替原版 32×32 的输入；"
                        "C3 与 S2 的全部 6 张特征图相连，而不是原版的稀疏连接表；输出层是普通的线性层，而不是原版的 "
                        "RBF 单元；并用 ReLU 和最大池化代替了原版的 tanh 和下采样。",
    "arch.simple_cnn.title": "SimpleCNN 10-20",
    "arch.simple_cnn.desc": "经典的入门 CNN：5×5 卷积 → 10 个通道（24×24），2×2 最大池化（12×12），ReLU，"
                            "5×5 卷积 → 20 个通道（8×8），池化（4×4），ReLU，然后展平 20×4×4 = 320 → 10。",
    "arch.inception.title": "GoogLeNet 风格（InceptionA）",
    "arch.inception.desc": "两个 InceptionA 模块。每个模块在同一输入上并行运行四个分支（1×1；1×1 后接 5×5；"
                           "1×1 后接两个 3×3；3×3 平均池化后接 1×1），再把它们的 16+24+24+24 = 88 个通道拼接起来，"
                           "让网络为每种特征选择合适的滤波器大小。1×1 卷积起“瓶颈”作用：在计算量更大的 3×3 和 5×5 卷积之前，"
                           "先把输入通道混合压缩为 16 个。与每个卷积后都接 ReLU 的 GoogLeNet 不同，这里的分支"
                           "（与原始资料相同）没有 ReLU，所以一个模块连同其后的卷积合起来只是一个线性映射。",
    "arch.resnet.title": "ResNet 风格",
    "arch.resnet.desc": "每组卷积和池化之后接一个残差块：残差块用两个 3×3 卷积计算 F(x)，输出 ReLU(x + F(x))。"
                        "跳跃连接让梯度可以直接穿过，这正是非常深的 ResNet 能够训练的原因。",
    "arch.densenet.title": "DenseNet 风格",
    "arch.densenet.desc": "两个各有三层的稠密块。每一层（批归一化、ReLU、3×3 卷积）新增 12 张特征图，"
                          "并把输入的全部特征图拼接后传给后面的层，所以每一层都能看到之前所有的特征。"
                          "每个稠密块之后都有一个过渡层（批归一化、ReLU、1×1 卷积、2×2 平均池化），最后一个在最后一个块之后；"
                          "它把通道数和尺寸减半（52 → 26 个通道，28 → 14；62 → 32，14 → 7）。",
}



def _merge_area_tables() -> None:
    """Add the tables of :mod:`cnnviz.texts` (one module per area) to :data:`EN` and :data:`ZH`."""
    from . import texts

    for name, en, zh in texts.tables():
        for table, extra in ((EN, en), (ZH, zh)):
            twice = sorted(set(table) & set(extra))
            if twice:
                raise KeyError(f"cnnviz.texts.{name} defines keys that already exist: {twice[:5]}")
            table.update(extra)


_merge_area_tables()

TEXTS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def normalize_lang(lang: str | None) -> str:
    """``"zh-CN"``, ``"zh_Hans"``, ``"ZH"`` → ``"zh"``; anything unknown → the default (English)."""
    if not lang:
        return DEFAULT_LANG
    base = str(lang).replace("_", "-").split("-")[0].lower()
    return base if base in TEXTS else DEFAULT_LANG


def template(key: str, lang: str = DEFAULT_LANG) -> str:
    """The unformatted text for ``key`` in ``lang``, falling back to English, then to the key."""
    table = TEXTS.get(lang) or TEXTS[DEFAULT_LANG]
    text = table.get(key)
    return TEXTS[DEFAULT_LANG].get(key, key) if text is None else text


def t(key: str, lang: str = DEFAULT_LANG, **fmt) -> str:
    """The text for ``key`` in ``lang`` (falling back to English, then to the key), formatted with ``fmt``."""
    return template(key, lang).format(**fmt)

