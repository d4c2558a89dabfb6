"""A few epochs of an MLP on synthetic data with Keras on TensorFlow."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
rng = np.random.default_rng(0)
x = rng.standard_normal((512, 16)).astype("float32")
y = (x[:, :4].sum(axis=1) > 0).astype("float32")
model = tf.keras.Sequential(
    [tf.keras.Input((16,)), tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(1)]
)
model.compile(
    optimizer=tf.keras.optimizers.Adam(0.01), loss=tf.keras.losses.BinaryCrossentropy(from_logits=True)
)
hist = model.fit(x, y, epochs=15, batch_size=512, verbose=0)
losses = hist.history["loss"]
print(json.dumps({"first": losses[0], "last": losses[-1]}))
