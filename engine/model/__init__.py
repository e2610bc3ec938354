"""Running the ONNX model: sessions and batched windows."""
