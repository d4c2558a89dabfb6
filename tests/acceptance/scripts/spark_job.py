"""A Spark job in local mode, run with spark-submit from a user's terminal:
a DataFrame aggregation and a small MLlib fit; prints one JSON line."""

import json
import sys

from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = SparkSession.builder.master("local[2]").appName("dsvm-check").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
df = spark.range(0, 2000).select(
    F.col("id"),
    (F.col("id") % 3).alias("group"),
    ((F.col("id") * 7919) % 1000 / 1000.0).alias("x"),
)
df = df.withColumn("label", (F.col("x") > 0.5).cast("double"))
counts = {r["group"]: r["count"] for r in df.groupBy("group").count().collect()}
features = VectorAssembler(inputCols=["x"], outputCol="features").transform(df)
model = LogisticRegression(maxIter=20).fit(features)
accuracy = model.evaluate(features).accuracy
# Python UDFs run in Spark's Python workers: they must find the same Python.
worker = df.limit(1).select(F.udf(lambda _: sys.executable)("id").alias("py")).first()["py"]
print(
    json.dumps(
        {
            "counts": counts,
            "accuracy": accuracy,
            "driver": sys.executable,
            "worker": worker,
            "spark": spark.version,
        }
    )
)
spark.stop()
